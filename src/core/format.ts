/** The values a process's cmd and args may name as `$(circus.KEY)` or `((circus.KEY))`. */
export interface FormatValues {
  wid: number;
  env: Record<string, string>;
  /** Socket name -> the fd number the child sees. */
  sockets: Record<string, number>;
  /** Other scalar options of the process and its watcher (name, shell, working_dir, ...). */
  options: Record<string, string | number | boolean | null>;
}

const PATTERN = /\$\(circus\.([\w.-]+)\)|\(\(circus\.([\w.-]+)\)\)/gi;

function lookup(key: string, values: FormatValues): string | undefined {
  const lower = key.toLowerCase();
  if (lower === "wid") return String(values.wid);
  if (lower.startsWith("env.")) {
    const name = key.slice(4);
    if (name in values.env) return values.env[name];
    // Circus upper-cases env keys on lookup; accept any case.
    const found = Object.keys(values.env).find((k) => k.toLowerCase() === name.toLowerCase());
    return found === undefined ? undefined : values.env[found];
  }
  if (lower.startsWith("sockets.")) {
    const name = lower.slice(8);
    const found = Object.keys(values.sockets).find((k) => k.toLowerCase() === name);
    return found === undefined ? undefined : String(values.sockets[found]);
  }
  const option = values.options[lower];
  return option === undefined || option === null ? undefined : String(option);
}

/**
 * Replaces `$(circus.wid)`, `((circus.wid))`, `$(circus.env.X)`, `$(circus.sockets.X)` and
 * other `$(circus.OPTION)` in a cmd or args string, case-insensitively. An unknown key is
 * left as written so the user sees it in the process's arguments.
 */
export function formatCommand(text: string, values: FormatValues): string {
  return text.replace(PATTERN, (whole, a: string | undefined, b: string | undefined) => {
    return lookup((a ?? b) as string, values) ?? whole;
  });
}
