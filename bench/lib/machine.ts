/** The report header: when, on what machine, with which versions. */
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { openFilesLimits } from "./exec.js";
import type { System } from "./types.js";

/**
 * Lines describing the run: date, kernel, CPU, memory, load, node and the
 * version of every system.
 */
export async function describeMachine(systems: readonly System[]): Promise<string[]> {
  let distro = "linux";
  try {
    const osRelease = readFileSync("/etc/os-release", "utf8");
    distro = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? distro;
  } catch {
    // keep the default
  }
  const cpu = cpus();
  const lines = [
    `date:       ${new Date().toISOString()}`,
    `machine:    ${distro}, kernel ${release()}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `load:       ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")} (1/5/15 min) at start`,
    `node:       ${process.version}`,
    `limits:     ${describeLimits()}`,
  ];
  for (const system of systems) {
    lines.push(`${`${system.id}:`.padEnd(12)}${await system.version()}`);
  }
  return lines;
}

/** Open files (hard limit, what every launched command runs with) and pid_max. */
function describeLimits(): string {
  const { soft, hard } = openFilesLimits();
  let pidMax = "?";
  try {
    pidMax = readFileSync("/proc/sys/kernel/pid_max", "utf8").trim();
  } catch {
    // keep "?"
  }
  return (
    `open files ${hard} (every daemon raises its soft limit to this hard limit; ` +
    `the harness's soft limit ${soft}), pid_max ${pidMax}`
  );
}
