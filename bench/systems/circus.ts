/** This project: `node dist/cli/circusd.js CONFIG.ini` in the foreground. */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, run, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import { killTree, now, signalPid } from "../lib/proc.js";
import { circusRpc } from "../lib/rpc.js";
import type { Instance, System } from "../lib/types.js";

const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
const CIRCUSCTL = join(REPO_DIR, "dist", "cli", "circusctl.js");

/**
 * The INI config of the scenarios: one watcher of `n` sleeps. The control sockets are ipc://
 * files in the work folder, so a bench run never collides with another circusd's ports.
 */
export function circusConfig(n: number, dir: string): string {
  return [
    "[circus]",
    `endpoint = ipc://${join(dir, "control.sock")}`,
    `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
    "",
    "[watcher:sleepers]",
    "cmd = sleep 100000",
    `numprocesses = ${n}`,
    "graceful_timeout = 5",
    "",
  ].join("\n");
}

/** circusd of this repository (needs `npm run build` to have been run). */
export const circus: System = {
  id: "circus-ts",
  isRaw: false,
  isOurs: true,
  stopPattern: /stopping|Arbiter exiting/i,

  async unavailable() {
    return existsSync(CIRCUSD) ? undefined : "dist/cli/circusd.js not built (npm run build)";
  },

  async version() {
    const pkg = JSON.parse(readFileSync(join(REPO_DIR, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    const commit = await run(["git", "-C", REPO_DIR, "log", "-1", "--format=%h"], {
      timeoutMs: 10_000,
    });
    const built = statSync(CIRCUSD)
      .mtime.toISOString()
      .replace(/\.\d+Z$/, "Z");
    return `${pkg.name} ${pkg.version} (HEAD ${commit.stdout.trim() || "?"}, dist built ${built})`;
  },

  async launch(n: number): Promise<Instance> {
    const dir = freshWorkDir("circus");
    const config = join(dir, "sleepers.ini");
    writeFileSync(config, circusConfig(n, dir));
    const log = new LineLog(join(dir, "circusd.log"));
    const t0 = now();
    const daemon = launch([process.execPath, CIRCUSD, config], { log, cwd: dir });
    const daemonExit = async (timeoutMs: number): Promise<number | undefined> =>
      (await within(daemon.exited, timeoutMs, undefined))?.at;
    const endpoint = `ipc://${join(dir, "control.sock")}`;
    return {
      t0,
      log,
      endpoint,
      daemonPid: () => daemon.pid,
      launchSettled: async () => {},
      status: (timeoutMs) =>
        run([process.execPath, CIRCUSCTL, "--endpoint", endpoint, "status"], {
          timeoutMs,
          cwd: dir,
        }),
      rpc: () => circusRpc(endpoint, "sleepers"),
      async stop(timeoutMs) {
        signalPid(daemon.pid, "SIGTERM");
        return { at: await daemonExit(timeoutMs), what: "circusd exited" };
      },
      terminate: () => void signalPid(daemon.pid, "SIGTERM"),
      daemonExit,
      async cleanup() {
        if (!daemon.hasExited()) {
          signalPid(daemon.pid, "SIGTERM");
          await daemonExit(10_000);
        }
        if (!daemon.hasExited()) killTree(daemon.pid);
        await daemonExit(5_000);
        log.close();
      },
    };
  },
};
