/**
 * circus-top's keys, read in raw mode: the sort (`c`/`P` CPU, `m`/`M` memory, as top has
 * them), the filter (`/`, then a part of a watcher's name, Enter applies it, Esc clears it),
 * scrolling when the blocks do not fit (arrows, `j`/`k`, Page Up/Down, space, Home/End,
 * `g`/`G`), Ctrl-L to repaint, and `q` or Ctrl-C to quit (raw mode turns Ctrl-C into a key).
 */
import type { SortKey } from "./layout.js";

/** One key press. */
export type Key =
  | { kind: "char"; char: string }
  | { kind: "enter" }
  | { kind: "escape" }
  | { kind: "backspace" }
  | { kind: "interrupt" }
  | { kind: "repaint" }
  | { kind: "scroll"; by: "line" | "page" | "all"; down: boolean }
  /** An escape sequence (function keys, ...) or a control character with no use here. */
  | { kind: "other" };

/** The escape sequences of the keys that scroll (CSI, and SS3 in application mode). */
const SCROLL_SEQUENCES: Record<string, Key> = {
  "\x1b[A": { kind: "scroll", by: "line", down: false },
  "\x1bOA": { kind: "scroll", by: "line", down: false },
  "\x1b[B": { kind: "scroll", by: "line", down: true },
  "\x1bOB": { kind: "scroll", by: "line", down: true },
  "\x1b[5~": { kind: "scroll", by: "page", down: false },
  "\x1b[6~": { kind: "scroll", by: "page", down: true },
  "\x1b[H": { kind: "scroll", by: "all", down: false },
  "\x1bOH": { kind: "scroll", by: "all", down: false },
  "\x1b[1~": { kind: "scroll", by: "all", down: false },
  "\x1b[7~": { kind: "scroll", by: "all", down: false },
  "\x1b[F": { kind: "scroll", by: "all", down: true },
  "\x1bOF": { kind: "scroll", by: "all", down: true },
  "\x1b[4~": { kind: "scroll", by: "all", down: true },
  "\x1b[8~": { kind: "scroll", by: "all", down: true },
};

// An escape sequence: CSI (ESC [ params final), SS3 (ESC O x) or ESC followed by one char
// (Alt+key). Read whole, so that an arrow key is not taken as Esc then "[A".
// eslint-disable-next-line no-control-regex
const SEQUENCE = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)/s;

/** The keys of one chunk of raw input (a paste brings several). */
export function parseKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let rest = chunk;
  while (rest.length > 0) {
    if (rest.startsWith("\x1b")) {
      const sequence = SEQUENCE.exec(rest);
      if (sequence) {
        keys.push(SCROLL_SEQUENCES[sequence[0]] ?? { kind: "other" });
        rest = rest.slice(sequence[0].length);
      } else {
        keys.push({ kind: "escape" });
        rest = rest.slice(1);
      }
      continue;
    }
    const char = String.fromCodePoint(rest.codePointAt(0) as number);
    rest = rest.slice(char.length);
    if (char === "\r" || char === "\n") keys.push({ kind: "enter" });
    else if (char === "\x7f" || char === "\b") keys.push({ kind: "backspace" });
    else if (char === "\x03") keys.push({ kind: "interrupt" });
    else if (char === "\x0c") keys.push({ kind: "repaint" });
    else if (char < " ") keys.push({ kind: "other" });
    else keys.push({ kind: "char", char });
  }
  return keys;
}

/** What the console must do after a key. */
export type KeyEffect = "quit" | "redraw" | "repaint" | "none";

/** The state the keys change: sort and filter. */
export class Controls {
  sort: SortKey = "cpu";
  /** The applied filter ("" for none). */
  filter = "";
  /** The filter being typed after `/`; null when not typing one. */
  editing: string | null = null;
  /** The first row of the blocks shown; the layout clamps it, and the console keeps that. */
  scroll = 0;
  /** Rows scrolled by a page: the console sets it from the terminal's height. */
  page = 10;

  /** The part of the layout's view these controls decide. */
  view(): { sort: SortKey; filter: string; editing: string | null; scroll: number } {
    return { sort: this.sort, filter: this.filter, editing: this.editing, scroll: this.scroll };
  }

  /** Applies one key. */
  press(key: Key): KeyEffect {
    if (key.kind === "interrupt") return "quit";
    if (key.kind === "repaint") return "repaint";
    if (this.editing !== null) return this.edit(key);
    if (key.kind === "escape") {
      if (this.filter === "") return "none";
      this.setFilter("");
      return "redraw";
    }
    if (key.kind === "scroll") return this.scrollBy(key.by, key.down);
    if (key.kind !== "char") return "none";
    switch (key.char) {
      case "q":
      case "Q":
        return "quit";
      case "c":
      case "P":
        return this.sortBy("cpu");
      case "m":
      case "M":
        return this.sortBy("mem");
      case "/":
        this.editing = "";
        return "redraw";
      case "j":
        return this.scrollBy("line", true);
      case "k":
        return this.scrollBy("line", false);
      case " ":
        return this.scrollBy("page", true);
      case "g":
        return this.scrollBy("all", false);
      case "G":
        return this.scrollBy("all", true);
      default:
        return "none";
    }
  }

  private scrollBy(by: "line" | "page" | "all", down: boolean): KeyEffect {
    const rows = by === "line" ? 1 : by === "page" ? Math.max(1, this.page) : Infinity;
    const scroll = down ? this.scroll + rows : Math.max(0, this.scroll - rows);
    // Infinity is "the end": the layout clamps it to the last screenful.
    this.scroll = Number.isFinite(scroll) ? scroll : Number.MAX_SAFE_INTEGER;
    return "redraw";
  }

  /** A new filter shows its blocks from the top. */
  private setFilter(filter: string): void {
    if (filter !== this.filter) this.scroll = 0;
    this.filter = filter;
  }

  private sortBy(sort: SortKey): KeyEffect {
    if (this.sort === sort) return "none";
    this.sort = sort;
    return "redraw";
  }

  /** A key while typing the filter: every printable key is text there, `q` included. */
  private edit(key: Key): KeyEffect {
    const text = this.editing as string;
    switch (key.kind) {
      case "enter":
        this.setFilter(text.trim());
        this.editing = null;
        return "redraw";
      case "escape":
        this.setFilter("");
        this.editing = null;
        return "redraw";
      case "backspace":
        this.editing = [...text].slice(0, -1).join("");
        return "redraw";
      case "char":
        this.editing = text + key.char;
        return "redraw";
      default:
        return "none";
    }
  }
}
