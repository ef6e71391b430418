/** The configuration layer: INI files and library objects to typed, validated configs. */
export * from "./types.js";
export { CIRCUS_DEFAULTS, SOCKET_DEFAULTS, WATCHER_DEFAULTS } from "./defaults.js";
export { ConfigError, formatLocation, type ConfigLocation } from "./errors.js";
export { parseIni, readIniFile, type IniFile, type IniOption, type IniSection } from "./ini.js";
export { loadConfig, watcherConfig, type LoadConfigOptions } from "./load.js";
export { expandEnvVars, lookupEnv, substituteCircusEnv, type EnvMap } from "./env.js";
export { fnmatch } from "./fnmatch.js";
export { globFiles } from "./include.js";
export {
  InvalidValueError,
  parseBool,
  parseId,
  parseInteger,
  parseNumber,
  parsePort,
  parseRlimitValue,
  parseSignalValue,
  parseUmask,
  RLIMIT_NAMES,
} from "./values.js";
