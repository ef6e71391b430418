/**
 * Tab completion in the shell: command names first, then a command's `--options`, and
 * watcher names (asked from the daemon with `list`) at the positions the command's
 * `watcherArgs` names.
 */
import type { Command } from "../../control/command.js";
import type { Session } from "./session.js";

type Completer = (
  line: string,
  callback: (error: null, result: [string[], string]) => void,
) => void;

/** Watcher names are asked at most this often while completing (ms). */
const WATCHERS_TTL = 2000;

export function makeCompleter(
  session: Session,
  commands: Command[],
  getCommand: (name: string) => Command | undefined,
): Completer {
  let cached: { at: number; names: string[] } | null = null;

  async function watcherNames(): Promise<string[]> {
    if (cached && Date.now() - cached.at < WATCHERS_TTL) return cached.names;
    const client = await session.client();
    // A completion must not hang the prompt for a full timeout.
    const reply = await client.call("list", {}, { timeout: Math.min(session.globals.timeout, 2) });
    const names = Array.isArray(reply.watchers) ? reply.watchers.map(String) : [];
    cached = { at: Date.now(), names };
    return names;
  }

  async function candidates(line: string): Promise<string[]> {
    const words = line.trimStart().split(/\s+/);
    const current = words[words.length - 1] ?? "";
    const names = [...commands.map((c) => c.name), "help"].sort();
    if (words.length === 1) return names;
    const first = words[0] as string;
    if (first === "help" || first === "?") return words.length === 2 ? names : [];
    const command = getCommand(first);
    if (!command) return [];
    if (current.startsWith("-")) return (command.options ?? []).map((o) => `--${o.name}`);
    const index = positionalIndex(command, words.slice(1, -1));
    if (!(command.watcherArgs ?? []).includes(index)) return [];
    return watcherNames();
  }

  return (line, callback) => {
    const current = line.trimStart().split(/\s+/).pop() ?? "";
    candidates(line)
      .catch(() => [])
      .then((all) => {
        const hits = all.filter((c) => c.startsWith(current));
        // One hit: complete the word and move on to the next, as a shell does.
        callback(null, [hits.length === 1 ? [`${hits[0]} `] : hits, current]);
      });
  };
}

/** How many positional arguments precede the word being completed. */
function positionalIndex(command: Command, before: string[]): number {
  let index = 0;
  for (let i = 0; i < before.length; i++) {
    const word = before[i] as string;
    if (word.startsWith("--")) {
      const option = (command.options ?? []).find((o) => o.name === word.slice(2));
      if (option?.type === "string" && !word.includes("=")) i++;
      continue;
    }
    index++;
  }
  return index;
}
