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
  data: Buffer;
  time: number;
  /** Whether the piece goes on with a line an earlier piece began. */
  continues: boolean;
}

const NEWLINE = 10;

/** Keeps the newest pieces of output up to a byte budget; older ones fall out. */
export class OutputRing {
  private readonly pieces: Piece[] = [];
  private head = 0;
  private bytes = 0;
  /** `pid:name` of the pipes whose last piece ended mid-line. */
  private readonly midLine = new Set<string>();

  constructor(
    readonly watcher: string,
    private readonly budget = RING_BYTES,
  ) {}

  push(data: StreamData): void {
    // Only the tail of a big piece can matter: copy it, so the read buffer is not kept.
    const cut = data.data.length > this.budget;
    const bytes = cut ? Buffer.from(data.data.subarray(data.data.length - this.budget)) : data.data;
    const key = `${data.pid}:${data.name}`;
    const continues = cut || this.midLine.has(key);
    if (bytes[bytes.length - 1] === NEWLINE) this.midLine.delete(key);
    else if (this.midLine.size < 4096) this.midLine.add(key);
    const time = Date.now() / 1000;
    this.pieces.push({ pid: data.pid, name: data.name, data: bytes, time, continues });
    this.bytes += bytes.length;
    while (this.bytes > this.budget && this.pieces.length - this.head > 1) {
      this.bytes -= (this.pieces[this.head] as Piece).data.length;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.pieces.length) {
      this.pieces.splice(0, this.head);
      this.head = 0;
    }
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
        const split = (partial + piece.data.toString("utf8")).split("\n");
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
