/**
 * Circus's built-in logging (circus/util.py configure_logger without a `loggerconfig`): the
 * root logger at `loglevel`, one handler for `logoutput` (`-`/`stdout`, a file watched for
 * logrotate, `syslog://host[:port]?facility`, `syslog:///path/socket?facility`), Circus's
 * line format.
 */
import { StreamHandler, WatchedFileHandler, type Handler } from "./handlers.js";
import { CIRCUS_DATE_FORMAT, CIRCUS_SYSLOG_DATE_FORMAT, circusFormatter } from "./logger.js";
import { fail, install, systemMessage } from "./plan.js";
import { FACILITIES, facilityNumber, SysLogHandler, type SyslogAddress } from "./syslog-handler.js";

/** The handler for a `syslog://` output (throws LoggingConfigError). */
function syslogOutput(output: string): SysLogHandler {
  let url: URL;
  try {
    url = new URL(output);
  } catch {
    fail(
      `bad syslog URL ${JSON.stringify(output)}: expected syslog://host[:port]?facility or syslog:///path/to/socket?facility`,
    );
  }
  const query = decodeURIComponent(url.search.replace(/^\?/, ""));
  const facility = query === "" ? "user" : query;
  const number = facilityNumber(facility);
  if (number === undefined) {
    fail(
      `unknown syslog facility ${JSON.stringify(facility)} in ${JSON.stringify(output)} (known: ${Object.keys(FACILITIES).join(", ")})`,
    );
  }
  let address: SyslogAddress;
  if (url.hostname) {
    const port = url.port ? Number(url.port) : 514;
    address = { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port };
  } else {
    const socketPath = decodeURIComponent(url.pathname);
    if (!socketPath || socketPath === "/") {
      fail(`syslog URL ${JSON.stringify(output)} names neither a host nor a socket path`);
    }
    address = socketPath;
  }
  return new SysLogHandler(address, number);
}

/** The handler for a `logoutput` value and its date format (throws LoggingConfigError). */
function outputHandler(output: string): { handler: Handler; datefmt: string } {
  if (output === "-" || output === "stdout") {
    return { handler: new StreamHandler("stdout"), datefmt: CIRCUS_DATE_FORMAT };
  }
  if (output.startsWith("syslog://")) {
    return { handler: syslogOutput(output), datefmt: CIRCUS_SYSLOG_DATE_FORMAT };
  }
  try {
    return { handler: new WatchedFileHandler(output), datefmt: CIRCUS_DATE_FORMAT };
  } catch (error) {
    fail(`cannot open ${output}: ${systemMessage(error)}`);
  }
}

/**
 * Circus's built-in configuration: the root logger at `level` (a Python level number)
 * with one handler for `output`, printing Circus's line format.
 */
export async function configureDefault(level: number, output: string): Promise<void> {
  const { handler, datefmt } = outputHandler(output);
  handler.formatter = circusFormatter(datefmt);
  await install({
    handlers: [handler],
    root: { level, handlers: [handler] },
    loggers: new Map(),
    disableExisting: false,
  });
}
