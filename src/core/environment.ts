import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../config/errors.js";
import type { WatcherConfig } from "../config/types.js";
import { watcherLocation } from "./watcher-setup.js";

/**
 * The virtualenv's site-packages folders (those of `virtualenv_py_ver`, else of every Python
 * it has) and the folders their `.pth` files add. None is an error, as in Circus: the
 * processes would run without the packages they expect.
 */
function sitePackages(config: WatcherConfig, venv: string): string[] {
  const lib = path.join(venv, "lib");
  const pyVer = config.virtualenvPyVer;
  let versions: string[] = [];
  if (pyVer) versions = [`python${pyVer}`, `pypy${pyVer}`];
  else if (existsSync(lib)) versions = readdirSync(lib).filter((d) => /^(python|pypy)\d/.test(d));
  const sites = versions.map((v) => path.join(lib, v, "site-packages")).filter(existsSync);
  if (sites.length === 0) {
    const pattern = path.join(lib, `{python,pypy}${pyVer ?? "*"}`, "site-packages");
    throw new ConfigError(
      `no ${pattern}: not a virtualenv (of that Python version)`,
      watcherLocation(config, pyVer ? "virtualenv_py_ver" : "virtualenv"),
    );
  }
  const dirs: string[] = [];
  for (const site of sites) {
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
 * Refuses, as Circus does, the options that shape the copied environment without copy_env,
 * and a virtualenv_py_ver without the virtualenv it qualifies.
 */
function checkOptions(config: WatcherConfig): void {
  const refuse = (option: string, detail: string): never => {
    throw new ConfigError(detail, watcherLocation(config, option));
  };
  if (config.virtualenv && !config.copyEnv)
    refuse("virtualenv", "virtualenv needs copy_env = true");
  if (config.copyPath && !config.copyEnv) refuse("copy_path", "copy_path needs copy_env = true");
  if (config.virtualenvPyVer && !config.virtualenv)
    refuse("virtualenv_py_ver", "virtualenv_py_ver needs virtualenv");
}

/**
 * The environment a watcher's processes start with: circusd's own when copy_env is set, then
 * the virtualenv and copy_path additions (which only shape the environment, as in Circus),
 * then the watcher's `env`, which wins.
 *
 * @throws ConfigError naming the option, for options that cannot go together or a virtualenv
 * without site-packages.
 */
export function buildEnvironment(
  config: WatcherConfig,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  checkOptions(config);
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
    prependPath(env, "PYTHONPATH", sitePackages(config, venv));
  }
  return { ...env, ...config.env };
}
