/**
 * The reference: Python Circus 0.19 through `circus-ref circusd CONFIG.ini`, on the same INI
 * as ours (one watcher of `n` sleeps, ipc:// endpoints in its work folder), in the foreground.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { launch, run, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import { isRunning, killTree, now, signalPid, waitNotRunning } from "../lib/proc.js";
import { circusRpc } from "../lib/rpc.js";
import type { Instance, System } from "../lib/types.js";
import { circusConfig } from "./circus.js";

/**
 * Where `circus-ref` is: $CIRCUS_REF, else on PATH, else the shared reference folder next to
 * the repository's worktrees (`../shared/reference`).
 */
export function findCircusRef(): string | undefined {
  const candidates = [
    process.env.CIRCUS_REF,
    ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "circus-ref")),
    join(REPO_DIR, "..", "shared", "reference", "circus-ref"),
  ];
  return candidates.find((path) => path !== undefined && path !== "" && existsSync(path));
}

/** True if `pid` runs the Python circusd (`python3 -m circus.circusd ...`). */
function isPythonCircusd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("circus.circusd");
  } catch {
    return false;
  }
}

/** Direct children of `pid` (the kernel's list, no /proc scan). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1")
      .split(" ")
      .filter((s) => s !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * The Python circusd under the launched wrapper. `circus-ref` (bash) execs `env`, which execs
 * python3, so today it is the launched pid itself; should the wrapper ever fork instead, the
 * python process is looked for a few levels down. undefined until python has exec'd.
 */
export function findPythonCircusd(launched: number): number | undefined {
  let level = [launched];
  for (let depth = 0; depth < 4 && level.length > 0; depth++) {
    const found = level.find(isPythonCircusd);
    if (found !== undefined) return found;
    level = level.flatMap(childrenOf);
  }
  return undefined;
}

/** Python Circus 0.19, the implementation ours is compatible with. */
export const circusPy: System = {
  id: "circus-py",
  isRaw: false,
  isOurs: false,
  stopPattern: /Got signal SIG_TERM|Arbiter exiting/,

  async unavailable() {
    const ref = findCircusRef();
    if (ref === undefined) {
      return "circus-ref not found ($CIRCUS_REF, PATH, ../shared/reference)";
    }
    const result = await run([ref, "python", "-c", "import circus"], { timeoutMs: 120_000 });
    if (result.code === 0) return undefined;
    return `circus-ref fails: ${(result.stderr.trim().split("\n").pop() ?? "").slice(0, 200) || result.code}`;
  },

  async version() {
    const ref = findCircusRef() ?? "circus-ref";
    const result = await run(
      [
        ref,
        "python",
        "-c",
        "import circus, sys; print(circus.__version__, sys.version.split()[0])",
      ],
      { timeoutMs: 60_000 },
    );
    const [circus, python] = result.stdout.trim().split(" ");
    return `Circus ${circus ?? "?"} (Python ${python ?? "?"}, ${ref})`;
  },

  async launch(n: number): Promise<Instance> {
    const ref = findCircusRef();
    if (ref === undefined) throw new Error("circus-ref not found");
    const dir = freshWorkDir("circus-py");
    const config = join(dir, "sleepers.ini");
    writeFileSync(config, circusConfig(n, dir));
    const log = new LineLog(join(dir, "circusd.log"));
    const t0 = now();
    const wrapper = launch([ref, "circusd", config], { log, cwd: dir });
    let python: number | undefined;
    // The wrapper's pid until python is found: an ancestor of the children all the same.
    const daemonPid = (): number => (python ??= findPythonCircusd(wrapper.pid)) ?? wrapper.pid;
    const daemonExit = async (timeoutMs: number): Promise<number | undefined> => {
      const pid = daemonPid();
      if (pid === wrapper.pid) return (await within(wrapper.exited, timeoutMs, undefined))?.at;
      return waitNotRunning(pid, timeoutMs);
    };
    const endpoint = `ipc://${join(dir, "control.sock")}`;
    return {
      t0,
      log,
      endpoint,
      daemonPid,
      launchSettled: async () => {},
      status: (timeoutMs) =>
        run([ref, "circusctl", "--endpoint", endpoint, "status"], { timeoutMs, cwd: dir }),
      rpc: () => circusRpc(endpoint, "sleepers"),
      async stop(timeoutMs) {
        signalPid(daemonPid(), "SIGTERM");
        return { at: await daemonExit(timeoutMs), what: "circusd exited" };
      },
      terminate: () => void signalPid(daemonPid(), "SIGTERM"),
      daemonExit,
      async cleanup() {
        const pid = daemonPid();
        if (isRunning(pid)) {
          signalPid(pid, "SIGTERM");
          await daemonExit(30_000);
        }
        if (isRunning(pid) || !wrapper.hasExited()) {
          killTree(pid);
          killTree(wrapper.pid);
        }
        await within(wrapper.exited, 5_000, undefined);
        log.close();
      },
    };
  },
};
