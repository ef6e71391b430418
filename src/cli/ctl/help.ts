/** circusctl's help screens: `--help`, and the shell's `help` listing (Python cmd's layout). */
import type { Command } from "../../control/command.js";

export const USAGE = "usage: circusctl [options] command [args]";

/** `circusctl --help`: usage, the commands with their summaries, the global options. */
export function mainHelp(commands: Command[]): string {
  const sorted = [...commands].sort((a, b) => a.name.localeCompare(b.name));
  const width = Math.max(...sorted.map((c) => c.name.length));
  const lines = [
    USAGE,
    "",
    "Controls a Circus daemon",
    "",
    "Commands:",
    ...sorted.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "options:",
    "  --endpoint ENDPOINT   connection endpoint (default: $CIRCUSCTL_ENDPOINT or",
    "                        tcp://127.0.0.1:5555; for listen tcp://127.0.0.1:5556)",
    "  -h, --help            show this help message and exit; COMMAND --help shows",
    "                        the help of a command",
    "  --json                output to JSON",
    "  --prettify            prettify output",
    "  --ssh SSH             SSH Server in the format user@host:port",
    "  --ssh_keyfile SSH_KEYFILE",
    "                        the path to the keyfile to authorise the user",
    "  --timeout TIMEOUT     connection timeout, in seconds (default: 5)",
    "  --curve-key FILE      CURVE: this client's secret certificate",
    "                        (default: $CIRCUS_CURVE_KEY)",
    "  --curve-server-key FILE|KEY",
    "                        CURVE: circusd's public certificate, or its key in Z85",
    "                        (default: $CIRCUS_CURVE_SERVER_KEY)",
    "  --version             display version and exit",
    "",
    "Without a command, circusctl starts an interactive shell.",
  ];
  return lines.join("\n") + "\n";
}

/** A command's help text (`circusctl CMD --help`, `help CMD` in the shell). */
export function commandHelp(command: Command): string {
  const text = command.help.replace(/\s+$/, "");
  const options = command.options ?? [];
  if (options.length === 0 || options.some((o) => text.includes(`--${o.name}`))) return text + "\n";
  // A help text that does not mention its options gets them listed.
  const width = Math.max(...options.map((o) => o.name.length + (o.type === "string" ? 6 : 0)));
  const rows = options.map((o) => {
    const switchText = `--${o.name}${o.type === "string" ? " VALUE" : ""}`;
    return `  ${switchText.padEnd(width + 2)}  ${o.help}`;
  });
  return `${text}\n\nOptions:\n${rows.join("\n")}\n`;
}

/**
 * Lays out words in columns, down then across, with the fewest rows that fit `width`,
 * as Python's `cmd.Cmd.columnize` does (so the shell's `help` looks like Circus's).
 */
export function columnize(words: string[], width = 79): string {
  if (words.length === 0) return "<empty>\n";
  if (words.length === 1) return `${words[0]}\n`;
  let rows = words.length;
  let widths: number[] = [0];
  for (let tryRows = 1; tryRows < words.length; tryRows++) {
    const cols = Math.ceil(words.length / tryRows);
    const colWidths: number[] = [];
    let total = -2;
    for (let col = 0; col < cols; col++) {
      const slice = words.slice(col * tryRows, (col + 1) * tryRows);
      const colWidth = Math.max(0, ...slice.map((w) => w.length));
      colWidths.push(colWidth);
      total += colWidth + 2;
      if (total > width) break;
    }
    if (total <= width) {
      rows = tryRows;
      widths = colWidths;
      break;
    }
  }
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    const cells: string[] = [];
    for (let col = 0; col * rows + row < words.length; col++)
      cells.push(words[col * rows + row] as string);
    lines.push(
      cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join("  "),
    );
  }
  return lines.join("\n") + "\n";
}

function topics(header: string, words: string[]): string {
  if (words.length === 0) return "";
  return `${header}\n${"=".repeat(header.length)}\n${columnize(words)}\n`;
}

/** The shell's `help` with no topic: documented commands, then the shell's own. */
export function shellHelp(commands: Command[]): string {
  const names = commands.map((c) => c.name).sort();
  return (
    "\n" +
    topics("Documented commands (type help <topic>):", names) +
    topics("Undocumented commands:", ["EOF", "help"])
  );
}
