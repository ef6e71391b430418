// A user stream for examples/streams.ini: writes each line upper-cased into a file, with the
// prefix given as `stdout_stream.prefix`. Any class with write({ pid, name, data, watcher })
// is a stream; close() is called when the watcher stops.
import { appendFileSync } from "node:fs";

export class UpperStream {
  constructor(options) {
    this.filename = options.filename;
    this.prefix = options.prefix ?? "";
  }

  write({ pid, data }) {
    const lines = data.toString("utf8").split("\n").filter(Boolean);
    appendFileSync(
      this.filename,
      lines.map((l) => `${this.prefix}${pid} ${l.toUpperCase()}\n`).join(""),
    );
  }

  close() {}
}
