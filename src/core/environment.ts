import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { WatcherConfig } from "../config/types.js";

function sitePackages(venv: string, pyVer: string | null): string[] {
  const lib = path.join(venv, "lib");
  let versions: string[];
  try {
    versions = pyVer ? [`python${pyVer}`] : readdirSync(lib).filter((d) => d.startsWith("python"));
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const version of versions) {
    const site = path.join(lib, version, "site-packages");
    if (!existsSync(site)) continue;
    dirs.push(site);
    // .pth files add folders to sys.path, as Python's site module does at startup.
    for (const file of readdirSync(site).filter((f) => f.endsWith(".pth"))) {
      for (const line of readFileSync(path.join(site, file), "utf8").split("\n")) {
        const entry = line.trim();
        if (!entry || entry.startsWith("#") || entry.startsWith("import ")) continue;
        const full = path.resolve(site, entry);
        if (existsSync(full)) dirs.push(full);
      }
    }
  }
  return dirs;
}

function prependPath(env: Record<string, string>, key: string, dirs: string[]): void {
  if (dirs.length === 0) return;
  env[key] = [...dirs, ...(env[key] ? [env[key]] : [])].join(":");
}

/**
 * The environment a watcher's processes start with: circusd's own when copy_env is set, then
 * the virtualenv and copy_path additions (which only shape the environment, as in Circus),
 * then the watcher's `env`, which wins.
 */
export function buildEnvironment(
  config: WatcherConfig,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (config.copyEnv) {
    for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  }
  if (config.copyPath) {
    // Circus passes its sys.path; our equivalent is circusd's own module search paths.
    prependPath(env, "PYTHONPATH", (base.PYTHONPATH ?? "").split(":").filter(Boolean));
    prependPath(env, "NODE_PATH", (base.NODE_PATH ?? "").split(":").filter(Boolean));
  }
  if (config.virtualenv) {
    const venv = path.resolve(config.baseDir, config.virtualenv);
    env.VIRTUAL_ENV = venv;
    prependPath(env, "PATH", [path.join(venv, "bin")]);
    prependPath(env, "PYTHONPATH", sitePackages(venv, config.virtualenvPyVer));
  }
  return { ...env, ...config.env };
}
