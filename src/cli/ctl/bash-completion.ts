/**
 * Bash completion, as Circus's circusctl offers it: bash's completion function runs
 * `circusctl` with AUTO_COMPLETE set and COMP_WORDS / COMP_CWORD describing the line; the
 * command names that fit are printed space-separated, and circusctl exits (status 1, as
 * Circus's does). A bash function to use it:
 *
 *     _circusctl() { COMPREPLY=( $(COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
 *                    AUTO_COMPLETE=1 circusctl) ); }
 *     complete -F _circusctl circusctl
 */
import type { Command } from "../../control/command.js";

/** The completion text when AUTO_COMPLETE asks for it, else null (a normal run). */
export function bashCompletion(commands: Command[], env: NodeJS.ProcessEnv): string | null {
  if (env.AUTO_COMPLETE === undefined) return null;
  const words = (env.COMP_WORDS ?? "")
    .split(/\s+/)
    .filter((w) => w !== "")
    .slice(1);
  const cword = Number(env.COMP_CWORD ?? "0");
  if (cword !== 1) return "";
  const current = words[cword - 1] ?? "";
  const names = commands.map((c) => c.name).filter((n) => n.startsWith(current));
  return names.sort().join(" ");
}
