/** Output streams: where a watcher's stdout and stderr go. */
export { FileStream, FileStreamBase, WatchedFileStream } from "./file-stream.js";
export { TimedRotatingFileStream } from "./timed-rotating.js";
export { QueueStream } from "./queue-stream.js";
export { StdoutStream, StderrStream, FancyStdoutStream } from "./stdout-stream.js";
export {
  BUILTIN_STREAMS,
  createStream,
  type StreamOptionWarn,
  type StreamSpec,
} from "./registry.js";
export { Redirector, type OutputListener, type PipeName } from "./redirector.js";
export { OutputRing, RING_BYTES, type OutputLine } from "./output-ring.js";
export {
  StreamOptionError,
  type OutputStream,
  type OutputStreamClass,
  type StreamData,
} from "./types.js";
