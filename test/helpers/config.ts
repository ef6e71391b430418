/** What the config loader tests share: INI text loaded from a real file in a temp folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import type { CircusConfig } from "../../src/config/types.js";
import { defer } from "./cleanup.js";

/** Writes `files` (name -> text) into a fresh folder, removed at cleanup; returns the folder. */
export function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-config-"));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/**
 * Loads `text` as circus.ini in a fresh folder (`extra` files beside it) with the
 * environment `env`: the config, the warnings given, the file and its folder.
 */
export function loadIni(
  text: string,
  extra: Record<string, string> = {},
  env: Record<string, string> = {},
): { config: CircusConfig; warnings: string[]; file: string; dir: string } {
  const dir = folder({ "circus.ini": text, ...extra });
  const file = join(dir, "circus.ini");
  const warnings: string[] = [];
  const config = loadConfig(file, { env, warn: (message) => warnings.push(message) });
  return { config, warnings, file, dir };
}
