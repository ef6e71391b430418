/**
 * Reading a child's pipe: the read end spawnChild hands over, read on Node's cheapest path
 * and grown when the child writes faster than circusd reads.
 */
import net from "node:net";
import { native } from "./native.js";

/** A pipe's default capacity: a read of that much found it full. */
const PIPE_DEFAULT = 64 * 1024;
/** What a pipe found full grows to, and what one read takes at most. */
const PIPE_BUSY = 1024 * 1024;
const READ_SIZE = 256 * 1024;
/** A read smaller than this is copied out, so that its buffer serves the next read. */
const COPY_BELOW = READ_SIZE / 2;
/** A read buffer given back by a small read (reads run one after another, never at once). */
let spare: Buffer | null = null;

/**
 * Reads a pipe, handing each read to `onChunk` as a Buffer of its own. It takes Node's
 * `onread` path, which skips the stream machinery (a fifth of the daemon's CPU when a child
 * writes a gigabyte): a big read keeps the buffer it was read into, a smaller one is copied
 * out so that no big buffer is held for a short line. A pipe found full (a child writing as
 * fast as it can) grows to 1 MiB, so that the child runs on while circusd writes, with a
 * quarter of the wake-ups. Pause and resume the returned socket for backpressure; it emits
 * `end` and `close` as usual.
 */
export function readPipe(fd: number, onChunk: (chunk: Buffer) => void): net.Socket {
  let grown = false;
  // Node takes `onread` here since v12, but its typings only list it for connect().
  const options: net.SocketConstructorOpts & Pick<net.TcpSocketConnectOpts, "onread"> = {
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer: () => {
        const buffer = spare ?? Buffer.allocUnsafe(READ_SIZE);
        spare = null;
        return buffer;
      },
      callback(bytes: number, buffer: Uint8Array) {
        const read = buffer as Buffer;
        if (!grown && bytes >= PIPE_DEFAULT) {
          grown = true;
          native().setPipeSize(fd, PIPE_BUSY);
        }
        if (bytes < COPY_BELOW) {
          onChunk(Buffer.from(read.subarray(0, bytes)));
          spare = read;
        } else {
          onChunk(read.subarray(0, bytes));
        }
        return true;
      },
    },
  };
  return new net.Socket(options);
}
