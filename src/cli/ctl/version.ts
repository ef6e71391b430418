import { readFileSync } from "node:fs";

/** `circusctl VERSION`, as `--version` and the shell's greeting print it. */
export function versionLine(): string {
  // dist/cli/ctl/version.js -> package.json, as in the source tree (src/cli/ctl).
  const pkg = new URL("../../../package.json", import.meta.url);
  const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version: string };
  return `circusctl ${version}`;
}
