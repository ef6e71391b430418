/**
 * PM2 (npm `pm2`, pinned in bench/package.json): PM2_HOME under
 * bench/work/pm2 so ~/.pm2 is never touched; `pm2 start` of an ecosystem file
 * starts the God daemon and the app.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, run, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { BENCH_DIR, freshWorkDir, WORK_DIR } from "../lib/paths.js";
import { pm2Rpc } from "../lib/pm2-rpc.js";
import { isRunning, killTree, now, signalPid, waitNotRunning } from "../lib/proc.js";
import type { Instance, System } from "../lib/types.js";

const PM2_PKG = join(BENCH_DIR, "node_modules", "pm2");
export const PM2_BIN = join(PM2_PKG, "bin", "pm2");

/** ecosystem.config.cjs: one fork-mode app of `n` instances of `sleep 100000`. */
export function pm2Ecosystem(n: number): string {
  const app = {
    name: "sleepers",
    script: "sleep",
    args: "100000",
    interpreter: "none",
    exec_mode: "fork",
    instances: n,
    autorestart: true,
    // Output is discarded, as for the other systems (no 2 × n log files).
    out_file: "/dev/null",
    error_file: "/dev/null",
  };
  return ecosystemText(app);
}

/** An ecosystem.config.cjs of one app. */
function ecosystemText(app: Record<string, unknown>): string {
  return `module.exports = ${JSON.stringify({ apps: [app] }, null, 2)};\n`;
}

/** Writes `dir`/ecosystem.config.cjs of one app; returns its path. */
export function writeEcosystem(dir: string, app: Record<string, unknown>): string {
  const file = join(dir, "ecosystem.config.cjs");
  writeFileSync(file, ecosystemText(app));
  return file;
}

/** A pid file's pid, or undefined when it is missing or holds no pid. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Environment of every pm2 command: our PM2_HOME, no version check. */
export function pm2Env(home: string): NodeJS.ProcessEnv {
  return { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: "true" };
}

/** Kills a God daemon left over from an earlier, interrupted run. */
export async function killStale(home: string): Promise<void> {
  const pid = readPid(join(home, "pm2.pid"));
  if (pid === undefined || !isRunning(pid)) return;
  await run([process.execPath, PM2_BIN, "kill"], { timeoutMs: 60_000, env: pm2Env(home) });
  if (isRunning(pid)) killTree(pid);
}

/** PM2's God daemon in fork mode. */
export const pm2: System = {
  id: "pm2",
  isRaw: false,
  isOurs: false,
  stopPattern: /killed by signal|Stopping app|Deleting process/,

  async unavailable() {
    return existsSync(PM2_BIN) ? undefined : "pm2 not installed (npm install --prefix bench)";
  },

  async version() {
    const pkg = JSON.parse(readFileSync(join(PM2_PKG, "package.json"), "utf8")) as {
      version: string;
    };
    return `pm2 ${pkg.version}`;
  },

  async launch(n: number): Promise<Instance> {
    const home = join(WORK_DIR, "pm2", "home");
    await killStale(home);
    const dir = freshWorkDir("pm2");
    const env = pm2Env(home);
    const ecosystem = join(dir, "ecosystem.config.cjs");
    writeFileSync(ecosystem, pm2Ecosystem(n));
    const log = new LineLog(join(dir, "pm2-daemon.log"));
    const cliLog = new LineLog(join(dir, "pm2-start.log"));
    const cli = (args: string[], timeoutMs: number) =>
      run([process.execPath, PM2_BIN, ...args], { timeoutMs, env, cwd: dir });
    let god: number | undefined;
    const daemonPid = (): number | undefined => (god ??= readPid(join(home, "pm2.pid")));

    const t0 = now();
    const starter = launch([process.execPath, PM2_BIN, "start", ecosystem], {
      log: cliLog,
      env,
      cwd: dir,
    });
    log.tail(join(home, "pm2.log"));

    const daemonExit = async (timeoutMs: number): Promise<number | undefined> => {
      const pid = daemonPid();
      return pid === undefined ? now() : waitNotRunning(pid, timeoutMs);
    };
    return {
      t0,
      log,
      daemonPid,
      status: (timeoutMs) => cli(["jlist"], timeoutMs),
      rpc: () => pm2Rpc(PM2_PKG, home),
      async launchSettled(timeoutMs) {
        await within(starter.exited, timeoutMs, undefined);
      },
      async stop(timeoutMs) {
        const result = await cli(["delete", "sleepers"], timeoutMs);
        const ok = !result.timedOut && result.code === 0;
        return { at: ok ? result.at : undefined, what: "`pm2 delete sleepers` returned" };
      },
      terminate() {
        const pid = daemonPid();
        if (pid !== undefined) signalPid(pid, "SIGTERM");
      },
      daemonExit,
      async cleanup() {
        if (!starter.hasExited()) killTree(starter.pid);
        await cli(["kill"], 60_000);
        const pid = daemonPid();
        if (pid !== undefined && isRunning(pid)) killTree(pid);
        await within(starter.exited, 5_000, undefined);
        log.close();
        cliLog.close();
      },
    };
  },
};
