/**
 * Prometheus's text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one
 * line per sample, every family's lines together. Written by hand rather than with prom-client:
 * its import took 230 ms and 10 MiB of circusd's memory, and its label maps were built and
 * formatted at 15 ms a scrape of 1000 processes, for a format of a few rules.
 *
 * The text is written straight into a Buffer outside V8's heap, reused from scrape to scrape
 * (see scrape-pool.ts): a scrape of 1000 processes is 280 KB, which as strings joined would
 * be garbage of V8's old space at each scrape.
 */

/** The Content-Type of a scrape's answer. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The kinds of metric families the format names in `# TYPE`. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary";

/** A label value with `\`, `"` and newlines escaped, as the format wants them. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    : value;
}

/**
 * The inside of a label set, `a="x",b="y"`, built once for many samples (the `{}` are added
 * by {@link Exposition.sample}, so that a histogram can append its `le`).
 */
export function labelText(labels: Readonly<Record<string, string>>): string {
  let text = "";
  for (const [name, value] of Object.entries(labels)) {
    if (text !== "") text += ",";
    text += `${name}="${escapeLabelValue(value)}"`;
  }
  return text;
}

/** A sample's value: integers and floats as JavaScript prints them, `NaN`, `+Inf`, `-Inf`. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

/** The text of one scrape, family after family, in a Buffer of its own. */
export class Exposition {
  private buffer: Buffer;
  private length = 0;

  /** @param buffer where to write (a previous scrape's, reused); grown as needed */
  constructor(buffer: Buffer = Buffer.allocUnsafe(16 * 1024)) {
    this.buffer = buffer;
  }

  /**
   * Starts a family: its HELP and TYPE lines. The samples that follow, until the next family,
   * must be this family's (the format wants them together).
   */
  family(name: string, type: MetricType, help: string): this {
    const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
    this.write(`# HELP ${name} ${escaped}\n# TYPE ${name} ${type}\n`);
    return this;
  }

  /**
   * One sample. `name` is the family's name or, for histograms and summaries, with its
   * suffix (`_bucket`, `_sum`, `_count`); `labels` comes from {@link labelText}.
   */
  sample(name: string, labels: string, value: number): this {
    // One short-lived string per line: it dies young, unlike the lines of a whole scrape.
    const v = formatValue(value);
    this.write(labels === "" ? `${name} ${v}\n` : `${name}{${labels}} ${v}\n`);
    return this;
  }

  /** The bytes written: a view of {@link storage}. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The whole buffer written into (grown from the one given), for a later scrape to reuse. */
  storage(): Buffer {
    return this.buffer;
  }

  /** The text written (for tests). */
  text(): string {
    return this.bytes().toString("utf8");
  }

  private write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; Buffer.write would stop short of room.
    const needed = this.length + text.length * 3;
    if (needed > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    this.length += this.buffer.write(text, this.length);
  }
}
