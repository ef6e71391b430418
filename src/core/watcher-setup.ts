import { ConfigError } from "../config/errors.js";
import type { WatcherConfig } from "../config/types.js";
import { resolveGid, resolveUid, UnknownIdError, userEntry } from "../sys/users.js";
import { HookLoadError, type HookRunner } from "./hooks.js";
import type { ProcessOptions } from "./process.js";

/** Numeric uid and gid a watcher's processes run with (null: circusd's own). */
export interface UserIds {
  uid: number | null;
  gid: number | null;
}

/** Numeric uid and gid of a watcher; a ConfigError naming the option when unknown. */
export function resolveIds(config: WatcherConfig): UserIds {
  const where = (option: string) => ({
    file: config.source?.file ?? null,
    section: config.source?.section ?? `watcher:${config.name}`,
    option,
  });
  if (config.virtualenv && !config.copyEnv) {
    throw new ConfigError("virtualenv needs copy_env = true", where("virtualenv"));
  }
  try {
    const uid = config.uid === null ? null : resolveUid(config.uid);
    if (config.gid !== null) return { uid, gid: resolveGid(config.gid) };
    if (uid === null) return { uid: null, gid: null };
    // As Circus: a user without a group runs with the user's own primary group. A uid with
    // no passwd entry has none, and keeping circusd's group (root's) would be a silent
    // privilege leak: refuse, as Circus does.
    const primary = userEntry(uid)?.gid;
    if (primary === undefined) {
      throw new ConfigError(
        `uid ${uid} has no entry in /etc/passwd, hence no primary group; set gid`,
        where("gid"),
      );
    }
    return { uid, gid: primary };
  } catch (error) {
    if (error instanceof UnknownIdError)
      throw new ConfigError(error.message, where(error.kind === "user" ? "uid" : "gid"));
    throw error;
  }
}

/** Loads a watcher's hooks; a ConfigError naming the watcher and hook when one cannot load. */
export async function loadHooks(hooks: HookRunner, config: WatcherConfig): Promise<void> {
  try {
    await hooks.load();
  } catch (error) {
    if (!(error instanceof HookLoadError)) throw error;
    throw new ConfigError(error.message, {
      file: config.source?.file ?? null,
      section: config.source?.section ?? `watcher:${config.name}`,
      option: error.hook ? `hooks.${error.hook}` : undefined,
    });
  }
}

/** What one process of the watcher runs with: the watcher's options for one wid. */
export function processOptions(
  c: WatcherConfig,
  wid: number,
  ids: UserIds,
  env: Record<string, string>,
  sockets: Record<string, number>,
): ProcessOptions {
  return {
    name: c.name,
    wid,
    cmd: c.cmd,
    args: c.args,
    shell: c.shell,
    shellArgs: c.shellArgs,
    executable: c.executable,
    workingDir: c.workingDir,
    uid: ids.uid,
    gid: ids.gid,
    env,
    rlimits: c.rlimits,
    closeChildStdin: c.closeChildStdin,
    closeChildStdout: c.closeChildStdout,
    closeChildStderr: c.closeChildStderr,
    sockets,
    formatOptions: { ...c.options, numprocesses: c.numprocesses, shell_args: c.shellArgs },
  };
}
