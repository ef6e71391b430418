/** A Prometheus histogram with fixed buckets, one series per label set. */
import { type Exposition, formatValue } from "./exposition.js";

/** One label set's counts: per bucket (not cumulative), then the sum and the count. */
interface Series {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets, written as `_bucket`, `_sum` and `_count`. */
export class Histogram {
  private readonly series = new Map<string, Series>();
  private readonly le: string[];

  /**
   * @param bounds the buckets' upper bounds, increasing; `+Inf` is added
   */
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.le = [...bounds.map(formatValue), "+Inf"];
  }

  /** Counts one observation for the label set `labels` (a {@link labelText}). */
  observe(labels: string, value: number): void {
    let series = this.series.get(labels);
    if (!series) {
      series = { counts: new Array<number>(this.le.length).fill(0), sum: 0, count: 0 };
      this.series.set(labels, series);
    }
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    series.counts[i] = (series.counts[i] ?? 0) + 1;
    series.sum += value;
    series.count++;
  }

  /** Writes the family: every label set's cumulative buckets, sum and count. */
  write(out: Exposition): void {
    out.family(this.name, "histogram", this.help);
    for (const [labels, series] of this.series) {
      const prefix = labels === "" ? "" : `${labels},`;
      let cumulative = 0;
      this.le.forEach((le, i) => {
        cumulative += series.counts[i] ?? 0;
        out.sample(`${this.name}_bucket`, `${prefix}le="${le}"`, cumulative);
      });
      out.sample(`${this.name}_sum`, labels, series.sum);
      out.sample(`${this.name}_count`, labels, series.count);
    }
  }
}
