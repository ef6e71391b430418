// The "Writing a plugin" example of Circus's manual, in TypeScript: logs every event of
// circusd into a file, one line each. Run by circusd through [plugin:logger] in
// examples/plugins.ini, or by hand:
//   node dist/cli/circus-plugin.js --config filename:events.log ./examples/event-logger.ts:EventLogger
import { appendFileSync } from "node:fs";
import { CircusPlugin } from "circus-ts";

export class EventLogger extends CircusPlugin {
  override name = "logger";
  private filename = this.config.filename ?? "circus-events.log";

  override handleInit(): void {
    appendFileSync(this.filename, "");
  }

  handleRecv(topic: string, message: string): void {
    const { watcher, action } = CircusPlugin.splitTopic(topic);
    const data = CircusPlugin.loadMessage(message);
    appendFileSync(this.filename, `${action} ${watcher}::${JSON.stringify(data)}\n`);
  }
}
