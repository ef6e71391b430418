/**
 * Where circusd's helper programs are (`circus-plugin` for the plugins' watchers,
 * `circusd-stats` for statsd): the built file next to this one, or, in development, its
 * source through tsx.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** node's arguments that run one of the programs in this folder. */
function runner(program: string): string[] {
  const built = fileURLToPath(new URL(`./${program}.js`, import.meta.url));
  const source = fileURLToPath(new URL(`./${program}.ts`, import.meta.url));
  return existsSync(built) ? [built] : ["--import", "tsx", source];
}

/** node's arguments that run circus-plugin. */
export function pluginRunner(): string[] {
  return runner("circus-plugin");
}

/** node's arguments that run circusd-stats. */
export function statsRunner(): string[] {
  return runner("circusd-stats");
}

/** node's arguments that run circushttpd. */
export function httpdRunner(): string[] {
  return runner("circushttpd");
}

/** node's arguments that run circus-papa, the process kernel. */
export function papaRunner(): string[] {
  return runner("circus-papa");
}
