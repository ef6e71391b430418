/**
 * `circusctl discover`: asks the multicast group who is there (UDP, not the control socket)
 * and prints one control endpoint per line, or with --json the list of answers.
 */
import { discover, reachableEndpoint } from "../../client/discovery.js";
import { pythonJson } from "../../python/json.js";
import type { Session } from "./session.js";

/** `properties` as the command's message() builds them: `{multicast, timeout}`. */
export async function runDiscover(
  session: Session,
  properties: Record<string, unknown>,
): Promise<number> {
  const { io, globals } = session;
  const multicast = properties.multicast as string;
  const timeout = properties.timeout as number;
  const found = await discover({ multicastEndpoint: multicast, timeoutMs: timeout * 1000 });
  if (globals.json) {
    io.out(pythonJson(found, globals.prettify) + "\n");
    return 0;
  }
  if (found.length === 0) {
    io.err(`circusctl: no circusd answered on ${multicast} within ${timeout}s\n`);
    return 1;
  }
  io.out(found.map((daemon) => reachableEndpoint(daemon) + "\n").join(""));
  return 0;
}
