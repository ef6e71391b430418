/**
 * Stream classes by name: the built-ins as Circus's documents spell them (`FileStream`,
 * `circus.stream.FileStream`, `circus.stream.file_stream.FileStream`), or a user's class as
 * `module-path:Export`, resolved relative to the config file.
 */
import { closestName } from "../config/values.js";
import { loadExport, ModuleLoadError } from "../sys/modules.js";
import { FileStream, WatchedFileStream } from "./file-stream.js";
import { QueueStream } from "./queue-stream.js";
import { FancyStdoutStream, StderrStream, StdoutStream } from "./stdout-stream.js";
import { TimedRotatingFileStream } from "./timed-rotating.js";
import { StreamOptionError, type OutputStream, type OutputStreamClass } from "./types.js";

/** The built-in stream classes by their short names (StderrStream is beyond Circus). */
export const BUILTIN_STREAMS: Record<string, OutputStreamClass> = {
  FileStream,
  WatchedFileStream,
  TimedRotatingFileStream,
  QueueStream,
  StdoutStream,
  StderrStream,
  FancyStdoutStream,
};

const CIRCUS_NAME = /^circus\.stream(?:\.file_stream)?\.(\w+)$/;

/** The built-in a name stands for, or null when it names a module. */
function builtin(name: string): OutputStreamClass | null {
  const short = CIRCUS_NAME.exec(name)?.[1] ?? name;
  return Object.hasOwn(BUILTIN_STREAMS, short) ? (BUILTIN_STREAMS[short] ?? null) : null;
}

/** Whether a class name can only be a built-in (no path, no module separator). */
function looksBuiltin(name: string): boolean {
  return !/[:/\\]/.test(name) && !/\.(m?[jt]s|cjs)$/.test(name);
}

/** How a stream is configured: a class (name or constructor) and its options. */
export interface StreamSpec {
  class: string | OutputStreamClass;
  options: Record<string, string>;
}

/** Told about an option the stream class does not read (`option` without `stdout_stream.`). */
export type StreamOptionWarn = (option: string, message: string) => void;

/**
 * Creates the stream a spec describes. Throws a StreamOptionError naming the option
 * (`class`, `filename`, `rotate_when`, ...) when it cannot; tells `warn` about each option the
 * class declares it does not read.
 */
export async function createStream(
  spec: StreamSpec,
  baseDir: string,
  warn: StreamOptionWarn = () => {},
): Promise<OutputStream> {
  const cls =
    typeof spec.class === "function" ? spec.class : await resolveClass(spec.class, baseDir);
  warnUnread(cls, spec.options, warn);
  let stream: unknown;
  try {
    stream = new cls(spec.options);
  } catch (error) {
    if (error instanceof StreamOptionError) throw error;
    throw new StreamOptionError("class", `cannot create the stream: ${(error as Error).message}`);
  }
  if (typeof (stream as OutputStream | null)?.write !== "function")
    throw new StreamOptionError("class", "the stream has no write(data) method");
  return stream as OutputStream;
}

/**
 * Circus's classes take any keyword and drop those they do not know, so an unknown option is
 * not an error; but it does nothing, which deserves a warning, with the likely option meant.
 */
function warnUnread(
  cls: OutputStreamClass,
  options: Record<string, string>,
  warn: StreamOptionWarn,
): void {
  const known = cls.options;
  if (!Array.isArray(known)) return;
  for (const option of Object.keys(options)) {
    if (known.includes(option)) continue;
    const guess = closestName(option, known);
    const takes = known.length === 0 ? "none" : known.join(", ");
    warn(
      option,
      `unknown option of ${cls.name} ignored; ` +
        (guess === null ? `it takes ${takes}` : `did you mean "${guess}"?`),
    );
  }
}

async function resolveClass(name: string, baseDir: string): Promise<OutputStreamClass> {
  const known = builtin(name.trim());
  if (known) return known;
  if (looksBuiltin(name.trim())) {
    throw new StreamOptionError(
      "class",
      `unknown stream class ${JSON.stringify(name)}; built-in ones are ` +
        `${Object.keys(BUILTIN_STREAMS).join(", ")}, a module is module-path:Export`,
    );
  }
  let found: unknown;
  try {
    found = await loadExport(name.trim(), baseDir);
  } catch (error) {
    if (error instanceof ModuleLoadError) throw new StreamOptionError("class", error.message);
    throw error;
  }
  if (typeof found !== "function") throw new StreamOptionError("class", `${name} is not a class`);
  return found as OutputStreamClass;
}
