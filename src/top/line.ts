/**
 * The screen as circus-top's layout describes it: lines of styled text, independent of the
 * terminal (the terminal decides whether a style becomes a colour, see terminal.ts).
 */

/** What a piece of text stands for; terminal.ts maps each to an SGR sequence, or to none. */
export type Style =
  "title" | "rule" | "watcher" | "header" | "warm" | "hot" | "alert" | "status" | "dim";

/** A run of text in one style. */
export interface Segment {
  text: string;
  style?: Style;
}

/** One screen row. */
export interface Line {
  segments: Segment[];
  /** Fills the rest of the row in this style (the status bar's reverse video). */
  fill?: Style;
}

/** A row of plain text. */
export function plain(text: string, style?: Style): Line {
  return { segments: [style === undefined ? { text } : { text, style }] };
}

/** The visible text of a row, without styles (what a test or a dumb terminal sees). */
export function lineText(line: Line): string {
  return line.segments.map((s) => s.text).join("");
}

/** A cell placed at a column of a row. */
export interface Cell {
  column: number;
  text: string;
  style?: Style;
}

/**
 * A row of cells at fixed columns, padded with spaces between them. A cell that would start
 * before the end of the previous one is pushed right by one space, so that two values never
 * run together (a long pid label in a narrow column).
 */
export function cells(list: Cell[]): Line {
  const segments: Segment[] = [];
  let at = 0;
  for (const cell of list) {
    const column = at === 0 ? cell.column : Math.max(cell.column, at + 1);
    if (column > at) segments.push({ text: " ".repeat(column - at) });
    segments.push(cell.style === undefined ? { text: cell.text } : cell);
    at = column + [...cell.text].length;
  }
  return { segments };
}

// C0 and C1 controls, DEL included: a watcher name or socket path holding an escape sequence
// must not drive the terminal.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character shown as `?`. */
export function sanitize(text: string): string {
  return text.replace(CONTROLS, "?");
}

/**
 * The first `width` characters of a row (code points: a wide character counts as one, the
 * rare watcher name with one may be cut a column late), styles kept.
 */
export function truncate(line: Line, width: number): Line {
  const segments: Segment[] = [];
  let left = Math.max(0, width);
  for (const segment of line.segments) {
    if (left === 0) break;
    const chars = [...segment.text];
    const text = chars.length <= left ? segment.text : chars.slice(0, left).join("");
    left -= Math.min(chars.length, left);
    segments.push(segment.style === undefined ? { text } : { text, style: segment.style });
  }
  return line.fill === undefined ? { segments } : { segments, fill: line.fill };
}

/** The number of columns a row takes (code points, as {@link truncate} counts). */
export function lineWidth(line: Line): number {
  let width = 0;
  for (const segment of line.segments) width += [...segment.text].length;
  return width;
}
