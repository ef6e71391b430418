/**
 * The CURVE options that every client program takes (circusctl, circus-top, circushttpd,
 * circus-plugin, circusd-stats), read once into the library's {@link CurveClient}.
 */
import type { CurveClient } from "../security/client-options.js";
import { curveClientFrom } from "../security/client-options.js";
import { fail } from "./fail.js";

/** node:util parseArgs options. */
export const CURVE_ARG_OPTIONS = {
  "curve-key": { type: "string" },
  "curve-server-key": { type: "string" },
  // Given by circusd to the programs it runs for itself (README, "Security").
  "curve-circus-key": { type: "string" },
} as const;

/** The usage lines of the two options users give. */
export const CURVE_USAGE = `  --curve-key FILE      this client's CURVE secret certificate (CIRCUS_CURVE_KEY)
  --curve-server-key FILE|KEY
                        circusd's public certificate, or its public key in Z85
                        (CIRCUS_CURVE_SERVER_KEY)
`;

/** The values of those options, as parseArgs gives them. */
export interface CurveArgValues {
  "curve-key"?: string | undefined;
  "curve-server-key"?: string | undefined;
  "curve-circus-key"?: string | undefined;
}

/**
 * The client's keys (undefined without CURVE); a key that cannot be read ends the program
 * with one line naming the file, exit status 2.
 */
export function curveFromArgs(values: CurveArgValues, program: string): CurveClient | undefined {
  try {
    return (
      curveClientFrom({
        key: values["curve-key"],
        serverKey: values["curve-server-key"],
        circusKey: values["curve-circus-key"],
      }) ?? undefined
    );
  } catch (error) {
    fail(`${program}: ${(error as Error).message}`);
  }
}
