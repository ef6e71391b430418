/**
 * What a logging configuration sets up, and putting it in place: a configuration is built
 * completely (files opened, syslog connected) before it replaces the running one, so that a
 * bad one leaves logging as it was.
 */
import type { Handler } from "./handlers.js";
import { hierarchy } from "./hierarchy.js";
import { NOTSET, WARNING } from "./record.js";
import { SysLogHandler } from "./syslog-handler.js";

/** A logging setting circusd cannot use; the message is one line, without the option's name. */
export class LoggingConfigError extends Error {}

/** Throws a LoggingConfigError with the message on one line. */
export function fail(message: string): never {
  throw new LoggingConfigError(message.replace(/\s*\n\s*/g, " "));
}

/** `ENOENT: no such file or directory, open '/x'` -> `ENOENT: no such file or directory`. */
export function systemMessage(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code && typeof e.message === "string") return e.message.replace(/, \w+ '.*'$/, "");
  return e?.message ?? String(error);
}

/** A logger's settings in a plan; what is left out keeps Python's default. */
export interface LoggerPlan {
  level?: number;
  handlers?: Handler[];
  propagate?: boolean;
}

/** What a logging configuration sets up, before it replaces the running one. */
export interface Plan {
  /** Every handler opened for the plan, closed should the plan fail. */
  handlers: Handler[];
  root: LoggerPlan | null;
  loggers: Map<string, LoggerPlan>;
  disableExisting: boolean;
}

/** An empty plan: no handler, root and loggers left as Python starts them. */
export function emptyPlan(disableExisting: boolean): Plan {
  return { handlers: [], root: null, loggers: new Map(), disableExisting };
}

/** Runs `build` on a plan's handlers, closing every one opened so far should it throw. */
export function closingOnError<T>(plan: Plan, build: () => T): T {
  try {
    return build();
  } catch (error) {
    for (const handler of plan.handlers) handler.close();
    throw error;
  }
}

/** Connects the plan's syslog handlers; on failure closes all its handlers and throws. */
async function openAll(plan: Plan): Promise<void> {
  try {
    for (const handler of plan.handlers) {
      if (!(handler instanceof SysLogHandler)) continue;
      try {
        await handler.open();
      } catch (error) {
        const address = handler.address;
        const where = typeof address === "string" ? address : `${address.host}:${address.port}`;
        fail(
          `${handler.name ? `handler ${JSON.stringify(handler.name)}: ` : ""}cannot reach syslog at ${where}: ${systemMessage(error)}`,
        );
      }
    }
  } catch (error) {
    for (const handler of plan.handlers) handler.close();
    throw error;
  }
}

/** Replaces the running configuration with the plan, as a fresh Python process would get it. */
function apply(plan: Plan): void {
  const old = hierarchy.handlers();
  const root = hierarchy.root;
  root.level = WARNING;
  root.handlers = [];
  root.propagate = true;
  root.disabled = false;
  if (plan.root) {
    if (plan.root.level !== undefined) root.level = plan.root.level;
    root.handlers = plan.root.handlers ?? [];
  }
  const configured = [...plan.loggers.keys()];
  for (const node of hierarchy.all()) {
    node.level = NOTSET;
    node.handlers = [];
    node.propagate = true;
    node.disabled = false;
    if (plan.loggers.has(node.name)) continue;
    // Python disables the loggers that exist but are not configured, unless they are
    // children of configured ones (dictConfig and fileConfig's disable_existing_loggers).
    const isChild = configured.some((name) => node.name.startsWith(`${name}.`));
    if (plan.disableExisting && !isChild) node.disabled = true;
  }
  for (const [name, spec] of plan.loggers) {
    const node = hierarchy.get(name);
    if (spec.level !== undefined) node.level = spec.level;
    node.handlers = spec.handlers ?? [];
    if (spec.propagate !== undefined) node.propagate = spec.propagate;
  }
  const kept = new Set(plan.handlers);
  for (const handler of old) if (!kept.has(handler)) handler.close();
}

/** Opens the plan's connections and puts it in place. */
export async function install(plan: Plan): Promise<void> {
  await openAll(plan);
  apply(plan);
}
