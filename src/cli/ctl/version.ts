import { packageVersion } from "../../version.js";

/** `circusctl VERSION`, as `--version` and the shell's greeting print it. */
export function versionLine(): string {
  return `circusctl ${packageVersion()}`;
}
