/**
 * The hooks scenarios name as `{hooks:NAME}`: the same functions in Python (for the
 * reference, `circus_hooks.NAME`) and in JavaScript (for ours, `./circus_hooks.mjs:NAME`).
 * Both are written into every scenario's folder.
 */
export const HOOK_FILES: Record<string, string> = {
  "circus_hooks.py": `
def ok(watcher, arbiter, hook_name, **kwargs):
    return True


def refuse(watcher, arbiter, hook_name, **kwargs):
    return False


def fail(watcher, arbiter, hook_name, **kwargs):
    raise Exception("boom")


def extended(watcher, arbiter, hook_name, pid, stats, **kwargs):
    stats["extra"] = "more"
    return True
`,
  "circus_hooks.mjs": `
export function ok() {
  return true;
}

export function refuse() {
  return false;
}

export function fail() {
  throw new Error("boom");
}

export function extended({ stats }) {
  stats.extra = "more";
  return true;
}
`,
};
