/**
 * `circusctl logs [NAME] [-n N] -f`: the last lines (the `logs` command), then new output as
 * it comes, from the pub/sub endpoint circusd names in its global options, until interrupted.
 */
import { Subscriber } from "../../client/subscriber.js";
import { formatLogLine, logs } from "../../control/commands/logs.js";
import type { Session } from "./session.js";

interface LiveOutput {
  watcher: string;
  pid: number;
  stream: "stdout" | "stderr";
  data: string;
  skipped?: number;
}

export async function followLogs(
  session: Session,
  properties: Record<string, unknown>,
  abort: AbortSignal,
): Promise<number> {
  const client = await session.client();
  const options = await client.callOk("globaloptions", {});
  const endpoint = (options.options as Record<string, unknown> | undefined)?.pubsub_endpoint;
  if (typeof endpoint !== "string") throw new Error("circusd did not say its pubsub_endpoint");
  const topic =
    typeof properties.name === "string" ? `logs.${properties.name.toLowerCase()}.` : "logs.";
  // Subscribed before the last lines are asked for, so that nothing falls between the two.
  const subscriber = new Subscriber({ endpoint: await session.reach(endpoint), topics: [topic] });
  const stop = (): void => subscriber.close();
  if (abort.aborted) stop();
  abort.addEventListener("abort", stop, { once: true });
  try {
    const reply = await client.callOk("logs", properties);
    const text = logs.consoleOutput(reply, properties);
    if (text !== "") session.io.out(text + "\n");
    for await (const event of subscriber) {
      const live = event.data as LiveOutput;
      const lines = live.data.replace(/\n$/, "").split("\n");
      session.io.out(lines.map((line) => formatLogLine({ ...live, line }) + "\n").join(""));
      if (live.skipped)
        session.io.out(formatLogLine({ ...live, line: `[${live.skipped} bytes skipped]` }) + "\n");
    }
  } finally {
    abort.removeEventListener("abort", stop);
    subscriber.close();
  }
  return 0;
}
