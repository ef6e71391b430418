/**
 * `circusctl listen [ENDPOINT] [TOPIC...]`: prints circusd's events as `topic: json` lines
 * until interrupted. The endpoint is the first argument when it looks like one (as the
 * documents show it: `circusctl listen tcp://127.0.0.1:5556`), else --endpoint, else the
 * default pub/sub endpoint; `$CIRCUSCTL_ENDPOINT` names the control socket, not this one,
 * and so does --endpoint in the shell (where it was given for every other command).
 */
import { DEFAULT_PUBSUB_ENDPOINT } from "../../client/subscriber.js";
import type { Session } from "./session.js";

export async function runListen(
  session: Session,
  args: string[],
  abort: AbortSignal,
): Promise<number> {
  const words = [...args];
  let endpoint = (!session.interactive && session.globals.endpoint) || DEFAULT_PUBSUB_ENDPOINT;
  if (words[0]?.includes("://")) endpoint = words.shift() as string;
  const topics = words.length > 0 ? words : [""];
  await session.subscribed(endpoint, topics, abort, async (subscriber) => {
    for await (const event of subscriber) session.io.out(`${event.topic}: ${event.raw}\n`);
  });
  // Only Ctrl-C ends it: as Circus's circusctl, an interrupted command exits 1.
  return 1;
}
