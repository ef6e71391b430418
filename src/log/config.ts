/**
 * Configuring the daemon's logging as Circus does (circus/util.py configure_logger): the
 * built-in configuration from `loglevel` and `logoutput` (default-output.ts), or a
 * `loggerconfig` file: `*.ini` in `logging.config.fileConfig` format (file-config.ts),
 * `*.json` and `*.yaml`/`*.yml` in `logging.config.dictConfig` shape (dict-config.ts).
 *
 * A problem throws a {@link LoggingConfigError} whose message is one line saying where
 * (`handlers.logfile.class`, `[handler_logfile] args`) and what is wrong.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../config/errors.js";
import { planFromDict } from "./dict-config.js";
import { planFromIni } from "./file-config.js";
import { hierarchy } from "./hierarchy.js";
import { fail, install, LoggingConfigError, systemMessage, type Plan } from "./plan.js";

export { configureDefault } from "./default-output.js";
export { LoggingConfigError };

/** Reads a logger configuration file into a plan, by its extension as Circus does. */
async function planFromFile(file: string): Promise<Plan> {
  const lower = file.toLowerCase();
  const kind = lower.endsWith(".ini")
    ? "ini"
    : lower.endsWith(".json")
      ? "json"
      : lower.endsWith(".yaml") || lower.endsWith(".yml")
        ? "yaml"
        : null;
  if (!kind) {
    fail("not in one of the recognized formats. The file name should be: *.ini, *.json or *.yaml");
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`cannot read: ${systemMessage(error)}`);
  }
  if (kind === "ini") return planFromIni(text, file);
  let data: unknown;
  if (kind === "json") {
    try {
      data = JSON.parse(text);
    } catch (error) {
      fail(`not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const YAML = await import("yaml");
    const doc = YAML.parseDocument(text, { version: "1.1", prettyErrors: false, uniqueKeys: true });
    const problem = doc.errors[0];
    if (problem) {
      const pos = problem.linePos?.[0];
      fail(
        `not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ""}: ${problem.message.split("\n")[0]}`,
      );
    }
    data = doc.toJS();
  }
  return planFromDict(data);
}

/**
 * Configures logging from a `loggerconfig` file. Errors are LoggingConfigErrors whose
 * message starts with the file's absolute path: `/etc/circus/log.yaml: handlers.f.class: ...`.
 */
export async function configureFromFile(file: string): Promise<void> {
  const absolute = path.resolve(file);
  try {
    await install(await planFromFile(absolute));
  } catch (error) {
    if (error instanceof LoggingConfigError)
      throw new LoggingConfigError(`${absolute}: ${error.message}`);
    // The INI reader's errors already start with the file and line.
    if (error instanceof ConfigError) throw new LoggingConfigError(error.message);
    throw error;
  }
}

/** SIGHUP: every file handler follows a log file that logrotate moved away. */
export function reopenLogFiles(): void {
  for (const handler of hierarchy.handlers()) handler.reopen();
}
