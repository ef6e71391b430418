import { readSecretCert, type KeyPair } from "../security/certs.js";
import { ClientKeys } from "../security/client-keys.js";
import { CIRCUS_DEFAULTS } from "./defaults.js";
import { applyFields, fieldsOf, warnIfMisspelled, type SectionView } from "./section.js";
import type { CircusOptions } from "./types.js";
import {
  InvalidValueError,
  parseBool,
  parseChoice,
  parseMulticastEndpoint,
  parseOptionalString,
  parsePort,
  parseSeconds,
  parseUmask,
  parsePapaEndpoint,
  parseZmqEndpoint,
} from "./values.js";

const c = fieldsOf<CircusOptions>();

/** A host name or address to listen on: not empty, no scheme, port or path. */
function parseHost(text: string): string {
  const host = text.trim();
  if (host === "" || /[\s/]/.test(host))
    throw new InvalidValueError(`expected a host name or address, got ${JSON.stringify(text)}`);
  return host;
}

/** Every `[circus]` option and how its text becomes a `CircusOptions` field. */
const CIRCUS_FIELDS = {
  endpoint: c("endpoint", parseZmqEndpoint),
  endpoint_owner: c("endpointOwner", parseOptionalString),
  pubsub_endpoint: c("pubsubEndpoint", parseZmqEndpoint),
  papa_endpoint: c("papaEndpoint", parsePapaEndpoint),
  statsd: c("statsd", parseBool),
  // Given at all, it turns circusd-stats on in Circus.
  stats_endpoint: c("statsEndpoint", parseZmqEndpoint),
  statsd_close_outputs: c("statsdCloseOutputs", parseBool),
  // An empty value turns discovery off, as in Circus.
  multicast_endpoint: c("multicastEndpoint", (text) => {
    if (text.trim() === "") return null;
    parseMulticastEndpoint(text);
    return text.trim();
  }),
  check_delay: c("checkDelay", parseSeconds),
  stream_backend: c("streamBackend", parseChoice(["thread", "gevent"] as const)),
  warmup_delay: c("warmupDelay", parseSeconds),
  httpd: c("httpd", parseBool),
  httpd_host: c("httpdHost", (text) => text),
  httpd_port: c("httpdPort", parsePort),
  httpd_close_outputs: c("httpdCloseOutputs", parseBool),
  httpd_users: c("httpdUsers", parseOptionalString),
  debug: c("debug", parseBool),
  debug_gc: c("debugGc", parseBool),
  fqdn_prefix: c("fqdnPrefix", parseOptionalString),
  pidfile: c("pidfile", parseOptionalString),
  // An empty umask means "leave circusd's umask alone", like no umask at all.
  umask: c("umask", (text) => (text.trim() === "" ? null : parseUmask(text))),
  loglevel: c("loglevel", (text) => text),
  logoutput: c("logoutput", (text) => text),
  loggerconfig: c("loggerconfig", parseOptionalString),
  metrics: c("metrics", parseBool),
  metrics_host: c("metricsHost", parseHost),
  metrics_port: c("metricsPort", parsePort),
  curve_secret_key: c("curveSecretKey", parseOptionalString),
  curve_clients: c("curveClients", parseOptionalString),
  container: c("container", parseBool),
  // Empty or absent: no health endpoints.
  health_port: c("healthPort", (text) => (text.trim() === "" ? null : parsePort(text))),
  health_host: c("healthHost", parseHost),
};

/**
 * CURVE's two options go together, and their files must be there: a secret certificate, a
 * folder of good public ones. Read now so that a mistake stops circusd at startup, naming
 * the option.
 */
function checkCurve(view: SectionView, input: Partial<CircusOptions>): void {
  const secret = input.curveSecretKey ?? null;
  const clients = input.curveClients ?? null;
  if (secret === null && clients === null) return;
  if (secret === null)
    view.fail("curve_clients", "curve_clients needs curve_secret_key (circusd's own key)");
  if (clients === null)
    view.fail("curve_secret_key", "curve_secret_key needs curve_clients (the clients' keys)");
  let pair: KeyPair;
  try {
    pair = readSecretCert(secret);
  } catch (error) {
    return view.fail("curve_secret_key", (error as Error).message);
  }
  try {
    new ClientKeys(clients, pair);
  } catch (error) {
    view.fail("curve_clients", (error as Error).message);
  }
}

/** Read by the loader itself before anything else. */
export const INCLUDE_OPTIONS = ["include", "include_dir"];

/**
 * Read the `[circus]` section (or the defaults when there is none). Unknown keys are kept raw in
 * `options`, with a warning when they look like a typo of a known one; known options that have
 * no effect are warned about too.
 *
 * @throws ConfigError for any bad value.
 */
export function circusFromSection(view: SectionView | undefined): CircusOptions {
  const input: Partial<CircusOptions> = {};
  const options: Record<string, string> = {};
  if (view === undefined) return { ...CIRCUS_DEFAULTS, options };
  const known = [...Object.keys(CIRCUS_FIELDS), ...INCLUDE_OPTIONS];
  for (const [option, value] of applyFields(view, CIRCUS_FIELDS, input)) {
    if (INCLUDE_OPTIONS.includes(option)) continue;
    options[option] = value;
    warnIfMisspelled(view, option, known, "kept");
  }
  if (input.streamBackend === "gevent")
    view.warn("stream_backend", "gevent is Python's; streams here work as with thread");
  if (input.statsEndpoint !== undefined && input.statsd !== true) {
    // As Circus does (with a DeprecationWarning): the endpoint alone turns circusd-stats on.
    view.warn("stats_endpoint", "You defined a stats_endpoint without setting up statsd to True.");
    input.statsd = true;
  }
  checkCurve(view, input);
  if (input.fqdnPrefix)
    view.warn("fqdn_prefix", "has no effect (in Circus 0.19 neither: nothing reads it)");
  return { ...CIRCUS_DEFAULTS, ...input, options, source: view.source() };
}
