/**
 * Supervisor (Debian package `supervisor`): our own supervisord.conf, unix
 * socket and pidfile under bench/work/supervisor, supervisord in the
 * foreground so its pid is our child's.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, openFilesLimits, run, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir } from "../lib/paths.js";
import { killTree, now, signalPid } from "../lib/proc.js";
import { supervisorRpc } from "../lib/supervisor-rpc.js";
import type { Instance, System } from "../lib/types.js";

/**
 * supervisord.conf with everything under `dir` and `program` as its program section(s);
 * `extra` lines go into [supervisord].
 */
export function supervisordConf(dir: string, program: string[], extra: string[] = []): string {
  return [
    "[unix_http_server]",
    `file=${join(dir, "supervisor.sock")}`,
    "chmod=0700",
    "",
    "[supervisord]",
    "nodaemon=true",
    "user=root",
    `logfile=${join(dir, "supervisord.log")}`,
    "logfile_maxbytes=0",
    `pidfile=${join(dir, "supervisord.pid")}`,
    `childlogdir=${dir}`,
    "loglevel=info",
    ...extra,
    "",
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "",
    "[supervisorctl]",
    `serverurl=unix://${join(dir, "supervisor.sock")}`,
    "",
    ...program,
    "",
  ].join("\n");
}

/**
 * supervisord.conf for `n` sleeps in one program, everything under `dir`. `minfds` asks for 4
 * descriptors a child but no more than the hard limit: supervisord refuses to start when
 * `minfds` is above a hard limit it cannot raise.
 */
export function supervisorConfig(dir: string, n: number): string {
  return supervisordConf(
    dir,
    [
      "[program:sleepers]",
      "command=sleep 100000",
      `numprocs=${n}`,
      "process_name=%(program_name)s_%(process_num)04d",
      "startsecs=0",
      "autostart=true",
      "stdout_logfile=NONE",
      "stderr_logfile=NONE",
    ],
    [
      `minfds=${Math.min(openFilesLimits().hard, Math.max(1024, 4 * n + 64))}`,
      `minprocs=${Math.max(200, n + 64)}`,
    ],
  );
}

/** supervisord 4 from Debian. */
export const supervisor: System = {
  id: "supervisor",
  isRaw: false,
  isOurs: false,
  stopPattern: /received SIG(TERM|INT)|waiting for .* to die/,

  async unavailable() {
    const result = await run(["supervisord", "--version"], { timeoutMs: 30_000 });
    return result.code === 0 ? undefined : "supervisord not found (apt-get install -y supervisor)";
  },

  async version() {
    const result = await run(["supervisord", "--version"], { timeoutMs: 30_000 });
    return `supervisor ${result.stdout.trim()}`;
  },

  async launch(n: number): Promise<Instance> {
    const dir = freshWorkDir("supervisor");
    const config = join(dir, "supervisord.conf");
    writeFileSync(config, supervisorConfig(dir, n));
    const log = new LineLog(join(dir, "supervisord.stdout"));
    const ctl = (args: string[], timeoutMs: number) =>
      run(["supervisorctl", "-c", config, ...args], { timeoutMs, cwd: dir });
    const t0 = now();
    const daemon = launch(["supervisord", "-c", config], { log, cwd: dir });
    const daemonExit = async (timeoutMs: number): Promise<number | undefined> =>
      (await within(daemon.exited, timeoutMs, undefined))?.at;
    return {
      t0,
      log,
      daemonPid: () => daemon.pid,
      launchSettled: async () => {},
      status: (timeoutMs) => ctl(["status"], timeoutMs),
      rpc: () => supervisorRpc(join(dir, "supervisor.sock")),
      async stop(timeoutMs) {
        const result = await ctl(["stop", "all"], timeoutMs);
        const ok = !result.timedOut && result.code === 0;
        return { at: ok ? result.at : undefined, what: "`supervisorctl stop all` returned" };
      },
      terminate: () => void signalPid(daemon.pid, "SIGTERM"),
      daemonExit,
      async cleanup() {
        if (!daemon.hasExited()) {
          signalPid(daemon.pid, "SIGTERM");
          await daemonExit(30_000);
        }
        if (!daemon.hasExited()) killTree(daemon.pid);
        await daemonExit(5_000);
        log.close();
      },
    };
  },
};
