/** Printing a scenario's result table: figure, ratio to ours, ratio to raw. */

/** One row: a system's figure (undefined if it has none) and a free note. */
export interface Row {
  system: string;
  isOurs: boolean;
  isRaw: boolean;
  value: number | undefined;
  detail: string;
}

/** A scenario's table: what the figure is and how to print it. */
export interface Table {
  title: string;
  /** e.g. "s" or "MiB" */
  unit: string;
  /** Digits after the decimal point. */
  digits: number;
  rows: Row[];
}

function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || base === 0) return "-";
  return `${(value / base).toFixed(2)}x`;
}

/**
 * Renders `table` as aligned text: system, figure, ratio to ours, ratio to
 * raw, detail.
 */
export function formatTable(table: Table): string {
  const ours = table.rows.find((row) => row.isOurs)?.value;
  const raw = table.rows.find((row) => row.isRaw)?.value;
  const cells = [
    ["system", `figure (${table.unit})`, "/ ours", "/ raw", "detail"],
    ...table.rows.map((row) => [
      row.system,
      row.value === undefined ? "n/a" : row.value.toFixed(table.digits),
      ratio(row.value, ours),
      ratio(row.value, raw),
      row.detail,
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) =>
    Math.max(...cells.map((line) => (line[column] ?? "").length)),
  );
  const lines = cells.map((line) =>
    line
      .map((cell, column) => {
        const width = widths[column];
        if (width === undefined) return cell;
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join("  ")
      .trimEnd(),
  );
  const rule = "-".repeat(Math.max(...lines.map((line) => line.length)));
  return [table.title, rule, lines[0], rule, ...lines.slice(1), rule].join("\n");
}

/** The p-th percentile (0-100) of samples, nearest rank (NaN if there are none). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? NaN;
}

/** Median of the defined values (undefined if there are none). */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? NaN) + upper) / 2;
}
