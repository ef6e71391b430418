/**
 * `circusctl logs [NAME] [-n N] -f`: the last lines (the `logs` command), then new output as
 * it comes, from the pub/sub endpoint circusd names in its global options, until interrupted.
 */
import { formatLogLine, logs, logsTopic } from "../../control/commands/logs.js";
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
  const name = typeof properties.name === "string" ? properties.name : undefined;
  // Subscribed before the last lines are asked for, so that nothing falls between the two.
  await session.subscribed(endpoint, [logsTopic(name)], abort, async (subscriber) => {
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
  });
  return 0;
}
