/**
 * Where the `circus-plugin` program is, for the watchers that run plugins: the built file
 * next to this one, or, in development, its source through tsx.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = fileURLToPath(new URL("./circus-plugin.js", import.meta.url));
const source = fileURLToPath(new URL("./circus-plugin.ts", import.meta.url));

/** node's arguments that run circus-plugin. */
export function pluginRunner(): string[] {
  return existsSync(built) ? [built] : ["--import", "tsx", source];
}
