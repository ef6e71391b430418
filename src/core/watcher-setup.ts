import { ConfigError, sourceLocation, type ConfigLocation } from "../config/errors.js";
import type { WatcherConfig } from "../config/types.js";
import {
  resolveGid,
  resolveUid,
  supplementaryGroups,
  UnknownIdError,
  userEntry,
} from "../sys/users.js";
import { HookLoadError, type HookRunner } from "./hooks.js";
import type { ProcessOptions } from "./process.js";
import { closeFd } from "../sys/sockets.js";

/** Numeric uid and gid a watcher's processes run with (null: circusd's own). */
export interface UserIds {
  uid: number | null;
  gid: number | null;
  /** With a uid: the user's supplementary groups (Circus's initgroups), read once here. */
  groups: number[] | null;
}

/** Numeric uid and gid of a watcher; a ConfigError naming the option when unknown. */
export function resolveIds(config: WatcherConfig): UserIds {
  const { uid, gid } = resolveUidGid(config);
  if (uid === null) return { uid, gid, groups: null };
  const user = userEntry(uid);
  return { uid, gid, groups: user ? supplementaryGroups(user.name, gid ?? user.gid) : [] };
}

/** Where a watcher's option is, for a ConfigError found after loading. */
export function watcherLocation(config: WatcherConfig, option?: string): ConfigLocation {
  return sourceLocation(config.source, `watcher:${config.name}`, option);
}

function resolveUidGid(config: WatcherConfig): Omit<UserIds, "groups"> {
  const where = (option: string) => watcherLocation(config, option);
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
    throw new ConfigError(
      error.message,
      watcherLocation(config, error.hook ? `hooks.${error.hook}` : undefined),
    );
  }
}

/**
 * The fds a watcher's processes inherit: every socket at its own number with use_sockets
 * (the number `$(circus.sockets.NAME)` gives, as in Circus), and the stdin_socket on fd 0.
 * Nothing beyond 0-2 otherwise.
 */
export function socketFds(
  c: WatcherConfig,
  sockets: Record<string, number>,
  fresh: Record<string, number> = {},
): [number, number][] {
  // A so_reuseport sibling takes the number of the shared socket it stands for.
  const fds: [number, number][] = c.useSockets
    ? Object.entries(sockets).map(([name, fd]): [number, number] => [fd, fresh[name] ?? fd])
    : [];
  const stdin = c.stdinSocket === null ? undefined : sockets[c.stdinSocket.toLowerCase()];
  if (stdin !== undefined) fds.push([0, stdin]);
  return fds;
}

const SOCKET_REF = /\$\(circus\.sockets\.([\w.-]+)\)|\(\(circus\.sockets\.([\w.-]+)\)\)/gi;

/**
 * Refuses a watcher naming a socket that does not exist, in cmd, args or stdin_socket: the
 * process would otherwise run with `$(circus.sockets.X)` left as written.
 *
 * @throws ConfigError naming the watcher's section and option.
 */
export function checkSocketNames(c: WatcherConfig, names: string[]): void {
  const known = new Set(names.map((n) => n.toLowerCase()));
  const where = (option: string) => watcherLocation(c, option);
  if (c.stdinSocket !== null && !known.has(c.stdinSocket.toLowerCase()))
    throw new ConfigError(`no [socket:${c.stdinSocket}] section`, where("stdin_socket"));
  const args = Array.isArray(c.args) ? c.args.join(" ") : (c.args ?? "");
  for (const [option, text] of [
    ["cmd", c.cmd],
    ["args", args],
  ] as const) {
    for (const match of text.matchAll(SOCKET_REF)) {
      const name = (match[1] ?? match[2] ?? "").toLowerCase();
      if (!known.has(name))
        throw new ConfigError(`no [socket:${name}] section for ${match[0]}`, where(option));
    }
  }
}

/**
 * Whether the watcher's processes use that socket as Circus tells for so_reuseport: they
 * get the sockets (use_sockets) and cmd or args name `circus.sockets.NAME`.
 */
export function usesSocket(c: WatcherConfig, name: string): boolean {
  if (!c.useSockets) return false;
  const args = Array.isArray(c.args) ? c.args.join(" ") : (c.args ?? "");
  return `${c.cmd} ${args}`.toLowerCase().includes(`circus.sockets.${name.toLowerCase()}`);
}

/** What one process of the watcher runs with: the watcher's options for one wid. */
export function processOptions(
  c: WatcherConfig,
  wid: number,
  ids: UserIds,
  env: Record<string, string>,
  sockets: Record<string, number>,
  fresh: Record<string, number> = {},
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
    groups: ids.groups,
    env,
    rlimits: c.rlimits,
    closeChildStdin: c.closeChildStdin,
    closeChildStdout: c.closeChildStdout,
    closeChildStderr: c.closeChildStderr,
    sockets,
    fds: socketFds(c, sockets, fresh),
    formatOptions: { ...c.options, numprocesses: c.numprocesses, shell_args: c.shellArgs },
  };
}

/** so_reuseport: a fresh socket for each shared one the process uses (name -> fd). */
export function bindSiblings(
  config: WatcherConfig,
  siblings: Record<string, () => number>,
): Record<string, number> {
  const fresh: Record<string, number> = {};
  try {
    for (const [name, bind] of Object.entries(siblings))
      if (usesSocket(config, name)) fresh[name] = bind();
  } catch (error) {
    for (const fd of Object.values(fresh)) closeFd(fd);
    throw error;
  }
  return fresh;
}
