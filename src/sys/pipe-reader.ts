/**
 * Reading a child's pipe: the read end spawnChild hands over, read on Node's cheapest path
 * into a buffer shared by all quiet pipes, and into a buffer of its own while the pipe is busy.
 */
import net from "node:net";
import { native } from "./native.js";

/** A pipe's default capacity (16 pages). */
const PIPE_DEFAULT = 64 * 1024;
/**
 * A read of this much found the pipe full: all 16 pages in use, which writes of a size that is
 * not a multiple of a page (65500 bytes of 100-byte lines) do with less than 64 KiB.
 */
const PIPE_FULL = PIPE_DEFAULT - 4096;
/** What a pipe found full grows to, and what one read takes at most. */
const PIPE_BUSY = 1024 * 1024;
const READ_SIZE = 256 * 1024;
/**
 * A read into a pipe's own buffer at least this big is handed on as it is (zero-copy): if
 * something keeps it, the pipe takes a new buffer. A smaller one is lent: what keeps it copies.
 */
const HAND_ON = READ_SIZE / 2;
/** A read into a pipe's own buffer smaller than this sends the pipe back to the shared one. */
const QUIET = 16 * 1024;
/** Own buffers given back by pipes that went quiet, kept for the next pipe that gets busy. */
const MAX_SPARES = 4;
/**
 * Pipes that may hold a buffer of their own at once: past that, a busy pipe reads into the
 * shared buffer too (lent: the file takes it at once, or a copy is queued), so that 1000
 * processes writing at once cost no more than this many buffers.
 */
const MAX_OWN = 32;

/** A pipe with a buffer of its own that read nothing for this long (ms) goes back to the shared one... */
const IDLE_MS = 1000;
/** ...at most this many times (see {@link PipeRead.quiet}). */
const MAX_SWAPS = 100;

/** The read buffer of every quiet pipe (reads run one after another, never at once). */
let shared: Buffer | null = null;
const spares: Buffer[] = [];
/** The pipes that hold a buffer of their own, looked at every IDLE_MS while there are any. */
const busy = new Set<PipeRead>();
let sweeper: NodeJS.Timeout | null = null;

function sharedBuffer(): Buffer {
  return (shared ??= Buffer.allocUnsafeSlow(READ_SIZE));
}

/** Gives an own buffer back; only one that holds nothing handed on (none is read into again). */
function spare(buffer: Buffer): void {
  if (spares.length < MAX_SPARES) spares.push(buffer);
}

function sweep(): void {
  const now = performance.now();
  for (const pipe of busy) if (now - pipe.lastRead >= IDLE_MS) pipe.quiet();
  if (busy.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

/**
 * Takes one read. `lent`: the bytes are valid during the call only (whoever keeps them copies
 * them); otherwise the chunk is the callee's to keep. Returns whether it kept the chunk (only
 * read when not lent): the pipe then never reads into that buffer again.
 */
export type ChunkHandler = (chunk: Buffer, lent: boolean) => boolean;

/** The libuv handle's call that sets the buffer of the next read (what `onread` uses). */
interface UserBufferHandle {
  useUserBuffer?(buffer: Uint8Array): void;
}

/** One pipe: which buffer its next read goes into, and what to do with a read. */
class PipeRead {
  socket!: net.Socket;
  /** The buffer the next read goes into: the shared one or `own`. */
  current: Buffer = sharedBuffer();
  /** This pipe's own buffer while it is busy. */
  own: Buffer | null = null;
  lastRead = 0;
  private grown = false;
  /** Times the pipe was switched to the shared buffer while idle. */
  private swaps = 0;

  constructor(
    private readonly fd: number,
    private readonly onChunk: ChunkHandler,
  ) {}

  /** Called by Node after each read: the buffer of the next one. */
  next(): Buffer {
    return (this.current = this.own ?? sharedBuffer());
  }

  /** One read of `bytes` into `current` (Node's own idea of the buffer is not asked). */
  read(bytes: number): void {
    const read = this.current;
    const chunk = read.subarray(0, bytes);
    if (read !== this.own) {
      this.onChunk(chunk, true);
      if (bytes >= PIPE_FULL) {
        if (!this.grown) {
          this.grown = true;
          native().setPipeSize(this.fd, PIPE_BUSY);
        }
        if (busy.size < MAX_OWN) {
          this.own = spares.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE);
          this.lastRead = performance.now();
          busy.add(this);
          sweeper ??= setInterval(sweep, IDLE_MS).unref();
        }
      }
      return;
    }
    this.lastRead = performance.now();
    if (bytes >= HAND_ON) {
      if (this.onChunk(chunk, false)) this.own = spares.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE);
      return;
    }
    this.onChunk(chunk, true);
    if (bytes < QUIET) this.release();
  }

  /**
   * Idle since its last read: the pipe's next read goes into the shared buffer. Node's handle
   * adds a small listener each time its buffer is set this way (freed when the pipe closes), so
   * a pipe is switched so at most MAX_SWAPS times; then it keeps its buffer while idle, within
   * MAX_OWN, until its reads get small.
   */
  quiet(): void {
    const handle = (this.socket as unknown as { _handle?: UserBufferHandle | null })._handle;
    if (this.socket.destroyed || !handle) return this.release();
    if (typeof handle.useUserBuffer !== "function" || this.swaps >= MAX_SWAPS) return;
    this.swaps++;
    handle.useUserBuffer(sharedBuffer());
    this.current = sharedBuffer();
    // The socket keeps the buffer it last handed to the handle, too (kBuffer, a private
    // symbol): else the released buffer stays held until the pipe's next read.
    const socket = this.socket as unknown as Record<symbol, unknown>;
    for (const key of Object.getOwnPropertySymbols(socket))
      if (key.description === "kBuffer" && socket[key] instanceof Uint8Array)
        socket[key] = this.current;
    this.release();
  }

  /**
   * Back to the shared buffer. The own one is spare: it holds nothing handed on (a read that a
   * callee kept took a new own buffer at once).
   */
  release(): void {
    busy.delete(this);
    if (this.own) spare(this.own);
    this.own = null;
  }
}

/**
 * Reads a pipe, handing each read to `onChunk`. It takes Node's `onread` path, which skips the
 * stream machinery (a fifth of the daemon's CPU when a child writes a gigabyte).
 *
 * Quiet pipes all read into one shared buffer, so 1000 idle processes hold no read buffer of
 * their own; the bytes are lent to `onChunk`, which copies what it keeps. A pipe found full
 * (a child writing as fast as it can) grows to 1 MiB, so that the child runs on while circusd
 * writes, and reads into a buffer of its own until its reads get small again or it reads
 * nothing for a second: a big read is handed on without a copy, and when nothing kept it (the
 * file took it at once) the same buffer, still in the cache, takes the next read. Pause and
 * resume the returned socket for backpressure; it emits `end` and `close` as usual.
 */
export function readPipe(fd: number, onChunk: ChunkHandler): net.Socket {
  const pipe = new PipeRead(fd, onChunk);
  // Node takes `onread` here since v12, but its typings only list it for connect(). It calls
  // `buffer` when the socket is made and after every read: what it returns takes the next read.
  const options: net.SocketConstructorOpts & Pick<net.TcpSocketConnectOpts, "onread"> = {
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer: () => pipe.next(),
      callback(bytes: number) {
        pipe.read(bytes);
        return true;
      },
    },
  };
  pipe.socket = new net.Socket(options);
  pipe.socket.once("close", () => busy.delete(pipe));
  return pipe.socket;
}
