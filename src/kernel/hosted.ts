/**
 * One process the kernel hosts: its pipes read into a bounded queue of timestamped chunks that
 * wait for its owner's acknowledgement, and its exit, kept until the owner forgets it.
 */
import type { Socket } from "node:net";
import type { Child } from "../sys/spawn.js";
import { readPipe } from "../sys/pipe-reader.js";
import {
  OUTPUT_KEPT,
  OUTPUT_WINDOW,
  type HostedExit,
  type HostedInfo,
  type OutputEvent,
} from "./protocol.js";

/** A piece of output, kept until acknowledged. */
export interface Chunk {
  seq: number;
  stream: "stdout" | "stderr";
  /** Epoch ms at which it was read. */
  time: number;
  data: Buffer;
}

/** Where a process's output and exit go: the connected owner, or nobody (null). */
export interface Sink {
  output(header: OutputEvent, data: Buffer): void;
  exit(process: HostedProcess): void;
}

/** A pipe left open this long after its process exited (a grandchild holds it) is closed. */
const PIPE_GRACE_MS = 2000;

export class HostedProcess {
  readonly pid: number;
  readonly started = Date.now() / 1000;
  exit: HostedExit | null = null;
  /** Bytes dropped while nobody acknowledged them. */
  dropped = 0;
  /** Whether the exit was sent to the current owner. */
  exitSent = false;
  private readonly chunks: Chunk[] = [];
  private kept = 0;
  private nextSeq = 1;
  /** The last seq sent to the current owner, and the bytes sent beyond the acknowledged. */
  private sentSeq = 0;
  private inFlight = 0;
  private readonly pipes = new Set<Socket>();
  private sink: Sink | null = null;

  constructor(
    child: Child,
    readonly tag: unknown,
    readonly argv: string[],
    /** The kernel fds handed to it (sockets it uses). */
    readonly fds: number[],
    private readonly onEnded: (p: HostedProcess) => void,
  ) {
    this.pid = child.pid;
    if (child.stdout !== null) this.read("stdout", child.stdout);
    if (child.stderr !== null) this.read("stderr", child.stderr);
    void child.exited.then(({ code, signal }) => {
      this.exit = { code, signal, time: Date.now() / 1000 };
      if (this.pipes.size === 0) return this.ended();
      setTimeout(() => {
        for (const pipe of this.pipes) pipe.destroy();
      }, PIPE_GRACE_MS).unref();
    });
  }

  private read(stream: "stdout" | "stderr", fd: number): void {
    const pipe = readPipe(fd, (chunk, lent) => {
      this.keep({
        seq: this.nextSeq++,
        stream,
        time: Date.now(),
        data: lent ? Buffer.from(chunk) : chunk,
      });
      return !lent;
    });
    this.pipes.add(pipe);
    pipe.on("error", () => pipe.destroy());
    pipe.once("close", () => {
      this.pipes.delete(pipe);
      if (this.pipes.size === 0 && this.exit) this.ended();
    });
  }

  private ended(): void {
    this.flush();
    this.onEnded(this);
  }

  /**
   * Keeps a chunk. With an owner, a full queue pauses the pipes (the child waits, nothing is
   * lost); without one, the oldest chunks go, counted, so that a child never blocks on
   * circusd's absence.
   */
  private keep(chunk: Chunk): void {
    this.chunks.push(chunk);
    this.kept += chunk.data.length;
    if (this.kept > OUTPUT_KEPT) {
      if (this.sink) {
        for (const pipe of this.pipes) pipe.pause();
      } else {
        // Exactly the newest OUTPUT_KEPT bytes stay: the oldest chunk may lose its start.
        while (this.kept > OUTPUT_KEPT) {
          const oldest = this.chunks[0] as Chunk;
          const excess = Math.min(this.kept - OUTPUT_KEPT, oldest.data.length);
          if (excess === oldest.data.length) this.chunks.shift();
          else oldest.data = oldest.data.subarray(excess);
          this.kept -= excess;
          this.dropped += excess;
        }
      }
    }
    this.flush();
  }

  /** A new owner (or none): everything not acknowledged is sent again, from the oldest. */
  attach(sink: Sink | null): void {
    this.sink = sink;
    this.sentSeq = (this.chunks[0]?.seq ?? this.nextSeq) - 1;
    this.inFlight = 0;
    this.exitSent = false;
    if (sink === null) for (const pipe of this.pipes) pipe.resume();
    this.flush();
  }

  /** Sends what the window allows; the exit once the last output is sent. */
  flush(): void {
    const sink = this.sink;
    if (!sink) return;
    for (const chunk of this.chunks) {
      if (chunk.seq <= this.sentSeq) continue;
      if (this.inFlight >= OUTPUT_WINDOW) return;
      sink.output(
        {
          event: "output",
          pid: this.pid,
          stream: chunk.stream,
          seq: chunk.seq,
          time: chunk.time,
          len: chunk.data.length,
        },
        chunk.data,
      );
      this.sentSeq = chunk.seq;
      this.inFlight += chunk.data.length;
    }
    if (this.exit && this.pipes.size === 0 && !this.exitSent) {
      this.exitSent = true;
      sink.exit(this);
    }
  }

  /** The owner handled every chunk up to `seq`: they go, and the window opens. */
  ack(seq: number): void {
    while (this.chunks.length > 0 && (this.chunks[0] as Chunk).seq <= seq) {
      const done = this.chunks.shift() as Chunk;
      this.kept -= done.data.length;
      this.inFlight = Math.max(0, this.inFlight - done.data.length);
    }
    if (this.kept <= OUTPUT_KEPT) for (const pipe of this.pipes) pipe.resume();
    this.flush();
  }

  /** Whether it ended and its owner has all its output. */
  get settled(): boolean {
    return this.exit !== null && this.pipes.size === 0 && this.chunks.length === 0;
  }

  info(): HostedInfo {
    return {
      pid: this.pid,
      tag: this.tag,
      started: this.started,
      argv: this.argv,
      exit: this.exit,
      kept: this.kept,
      dropped: this.dropped,
    };
  }
}
