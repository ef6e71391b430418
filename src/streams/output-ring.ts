/**
 * The last output of a watcher's processes, kept in memory for `circusctl logs`: a small ring
 * bounded in bytes, whatever stream (or none) the output also goes to.
 */
import type { StreamData } from "./types.js";

/** Bytes a watcher's ring keeps by default (its newest output). */
export const RING_BYTES = 64 * 1024;

/** One line of a process's output, as `logs` replies with it. */
export interface OutputLine {
  watcher: string;
  pid: number;
  stream: "stdout" | "stderr";
  /** Epoch seconds the piece holding the line was read. */
  time: number;
  line: string;
}

interface Piece {
  pid: number;
  name: "stdout" | "stderr";
  /** Where its bytes are in the ring's store: an offset into all the bytes ever kept. */
  at: number;
  length: number;
  time: number;
  /** Whether the piece goes on with a line an earlier piece began. */
  continues: boolean;
}

const NEWLINE = 10;
/** The store's first size: it doubles up to the budget as output comes. */
const FIRST_STORE = 4096;

/**
 * Keeps the newest pieces of output up to a byte budget; older ones fall out. The bytes are
 * copied into a store of its own (a circular buffer of at most the budget), so that the ring
 * never holds a read buffer: a piece's buffer may take the next read as soon as it is written.
 */
export class OutputRing {
  private readonly pieces: Piece[] = [];
  private head = 0;
  private bytes = 0;
  /** Bytes ever copied into the store; a piece's bytes are at `at % store.length`. */
  private end = 0;
  private store: Buffer | null = null;
  /** `pid:name` of the pipes whose last piece ended mid-line. */
  private readonly midLine = new Set<string>();

  constructor(
    readonly watcher: string,
    private readonly budget = RING_BYTES,
  ) {}

  push(data: StreamData): void {
    // Only the tail of a big piece can matter.
    const cut = data.data.length > this.budget;
    const bytes = cut ? data.data.subarray(data.data.length - this.budget) : data.data;
    if (bytes.length === 0) return;
    const key = `${data.pid}:${data.name}`;
    const continues = cut || this.midLine.has(key);
    if (bytes[bytes.length - 1] === NEWLINE) this.midLine.delete(key);
    else if (this.midLine.size < 4096) this.midLine.add(key);
    const time = Date.now() / 1000;
    // Older pieces fall out first, so that the store always has room for what is kept.
    this.bytes += bytes.length;
    while (this.bytes > this.budget && this.pieces.length > this.head) {
      this.bytes -= (this.pieces[this.head] as Piece).length;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.pieces.length) {
      this.pieces.splice(0, this.head);
      this.head = 0;
    }
    const at = this.end;
    this.copyIn(bytes);
    this.pieces.push({ pid: data.pid, name: data.name, at, length: bytes.length, time, continues });
  }

  /** Copies bytes to the end of the store, growing it when what is kept would not fit. */
  private copyIn(bytes: Buffer): void {
    let store = this.store;
    if (store === null || (store.length < this.budget && this.bytes > store.length)) {
      let size = store?.length ?? FIRST_STORE;
      while (size < this.bytes) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.budget));
      // What is still kept moves to its place in the new store.
      const kept = this.bytes - bytes.length;
      if (store !== null && kept > 0)
        this.copyTo(grown, this.end - kept, this.copyOut(this.end - kept, kept));
      this.store = store = grown;
    }
    this.copyTo(store, this.end, bytes);
    this.end += bytes.length;
  }

  /** Writes bytes into a circular `store` at offset `at` (modulo its size). */
  private copyTo(store: Buffer, at: number, bytes: Buffer): void {
    const pos = at % store.length;
    const first = Math.min(bytes.length, store.length - pos);
    bytes.copy(store, pos, 0, first);
    if (first < bytes.length) bytes.copy(store, 0, first);
  }

  /** The `length` bytes of the store from offset `at`, as a buffer of their own. */
  private copyOut(at: number, length: number): Buffer {
    const store = this.store as Buffer;
    const out = Buffer.allocUnsafe(length);
    const pos = at % store.length;
    const first = Math.min(length, store.length - pos);
    store.copy(out, 0, pos, pos + first);
    if (first < length) store.copy(out, first, 0, length - first);
    return out;
  }

  /**
   * The last `count` lines of each process's stdout and stderr still in the ring, oldest
   * first. A line cut by the ring's start is left out; an unfinished last line is kept.
   */
  lines(count: number): OutputLine[] {
    const byPipe = new Map<string, number[]>();
    for (let i = this.head; i < this.pieces.length; i++) {
      const piece = this.pieces[i] as Piece;
      const key = `${piece.pid}:${piece.name}`;
      const list = byPipe.get(key);
      if (list) list.push(i);
      else byPipe.set(key, [i]);
    }
    const out: { order: number; line: OutputLine }[] = [];
    for (const indexes of byPipe.values()) {
      const lines: { order: number; line: OutputLine }[] = [];
      let partial = "";
      for (const [n, i] of indexes.entries()) {
        const piece = this.pieces[i] as Piece;
        const text = this.copyOut(piece.at, piece.length).toString("utf8");
        const split = (partial + text).split("\n");
        partial = split.pop() ?? "";
        // A line whose beginning fell out of the ring is not shown cut.
        if (n === 0 && piece.continues && split.shift() === undefined) partial = "";
        for (const line of split) lines.push({ order: i, line: lineOf(this.watcher, piece, line) });
      }
      const last = indexes[indexes.length - 1] as number;
      if (partial !== "")
        lines.push({
          order: last,
          line: lineOf(this.watcher, this.pieces[last] as Piece, partial),
        });
      out.push(...lines.slice(Math.max(0, lines.length - count)));
    }
    return out.sort((a, b) => a.order - b.order).map((entry) => entry.line);
  }
}

function lineOf(watcher: string, piece: Piece, line: string): OutputLine {
  return { watcher, pid: piece.pid, stream: piece.name, time: piece.time, line };
}
