/**
 * Python's logger tree: named loggers with a level (NOTSET: ask the parent), handlers and
 * `propagate`, under a root logger. circusd logs as `circus`; its lines go to its own
 * handlers, then up to root's unless propagate is false.
 */
import type { Handler } from "./handlers.js";
import { NOTSET, WARNING, type LogRecord } from "./record.js";

/** Writes bare messages of WARNING and above to stderr when no handler exists (Python's lastResort). */
let lastResort: Handler | null = null;

export function setLastResort(handler: Handler): void {
  lastResort = handler;
}

export class LoggerNode {
  level = NOTSET;
  handlers: Handler[] = [];
  propagate = true;
  disabled = false;

  constructor(
    readonly name: string,
    public parent: LoggerNode | null,
  ) {}

  /** The first level set, from this logger up to root. */
  effectiveLevel(): number {
    if (this.level !== NOTSET) return this.level;
    for (let node = this.parent; node; node = node.parent) {
      if (node.level !== NOTSET) return node.level;
    }
    return NOTSET;
  }

  isEnabledFor(levelno: number): boolean {
    return !this.disabled && levelno >= this.effectiveLevel();
  }

  /** `Logger.callHandlers`: this logger's handlers, then its parents' while propagate holds. */
  callHandlers(record: LogRecord): void {
    let found = 0;
    let node: LoggerNode | null = null;
    do {
      node = node === null ? this : node.parent;
      if (!node) break;
      for (const handler of node.handlers) {
        found++;
        handler.handle(record);
      }
    } while (node.propagate);
    if (found === 0 && lastResort && record.levelno >= WARNING) lastResort.handle(record);
  }
}

/** The tree of the process: root plus the loggers created by name. */
export class Hierarchy {
  readonly root = new LoggerNode("root", null);
  private readonly loggers = new Map<string, LoggerNode>();

  constructor() {
    this.root.level = WARNING;
  }

  /** `logging.getLogger(name)`: root for "", else the named logger, created on first use. */
  get(name: string): LoggerNode {
    if (name === "") return this.root;
    let node = this.loggers.get(name);
    if (node) return node;
    node = new LoggerNode(name, this.parentOf(name));
    this.loggers.set(name, node);
    // Existing descendants whose parent was above the new logger now hang from it.
    for (const other of this.loggers.values()) {
      if (other !== node && other.name.startsWith(`${name}.`)) {
        const p = other.parent;
        if (p === this.root || (p && name.startsWith(`${p.name}.`))) other.parent = node;
      }
    }
    return node;
  }

  private parentOf(name: string): LoggerNode {
    let dot = name.lastIndexOf(".");
    while (dot > 0) {
      const found = this.loggers.get(name.slice(0, dot));
      if (found) return found;
      dot = name.lastIndexOf(".", dot - 1);
    }
    return this.root;
  }

  /** Every logger created so far, root excluded. */
  all(): LoggerNode[] {
    return [...this.loggers.values()];
  }

  /** Every handler attached anywhere in the tree (each once). */
  handlers(): Handler[] {
    const set = new Set<Handler>(this.root.handlers);
    for (const node of this.loggers.values()) for (const h of node.handlers) set.add(h);
    return [...set];
  }
}

/** The process's tree, shared by every logger. */
export const hierarchy = new Hierarchy();
