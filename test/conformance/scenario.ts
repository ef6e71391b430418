/**
 * The conformance scenarios' vocabulary. A scenario is a config and a list of steps; the same
 * scenario is recorded against the reference (Circus 0.19) into a golden file and replayed
 * against our circusd by `npm test` (see README, "Conformance").
 */

/** A quiet time long enough for the reference's periodic check (check_delay = 5 s). */
export const CHECK = 6000;

/** Request properties; a string `$name` is replaced by the value a step saved under `name`. */
export type Props = Record<string, unknown>;

/** How a step's events are compared: in order, as a multiset, or not at all. */
export type EventOrder = "ordered" | "unordered" | "ignore";

interface StepBase {
  /** A label that a deliberate difference can name (differences.ts), e.g. "wrong-type". */
  tag?: string;
  /** How this step's events compare (default "ordered"). */
  events?: EventOrder;
  /**
   * Recording waits until no event came for this many ms (default 600) before the next
   * step: the time the reference needs to finish what the step began. The reference reaps
   * and respawns dead processes only at its periodic check (check_delay, 5 s): steps that
   * end processes other than by stop use {@link CHECK}.
   */
  quiet?: number;
}

/** A request on the control endpoint; its reply is recorded. */
export interface CallStep extends StepBase {
  call: string;
  props?: Props;
  /** Sent as `msg_type: "cast"`: no reply is expected (and none may come). */
  cast?: boolean;
  /** Saves reply values for later steps: `{ pid: "pids.0" }` (a dotted path in the reply). */
  save?: Record<string, string>;
}

/** A request frame sent as it is (bad JSON, a request without id, ...). */
export interface RawStep extends StepBase {
  raw: string;
  /** No reply is expected (a cast, or a frame the reference ignores). */
  noReply?: boolean;
}

/** circusctl run with `--endpoint` and these words; its stdout, stderr and exit status are recorded. */
export interface CtlStep extends StepBase {
  ctl: string[];
  /** Adds `--json`. */
  json?: boolean;
  /** Regexes whose matches in the plain output are replaced by `<x>` (figures that vary). */
  scrub?: string[];
  /** `--endpoint` is the pub/sub endpoint (for `listen`) rather than the control one. */
  pubsub?: boolean;
  /**
   * Leaves it running under this name (`listen`): an {@link InterruptStep} ends it with
   * Ctrl-C and records its output.
   */
  background?: string;
}

/** Ctrl-C to a circusctl left running: its output until then is recorded. */
export interface InterruptStep extends StepBase {
  interrupt: string;
}

/** A signal sent from outside circusd to a saved pid (`kill -9 $pid`). */
export interface KillStep extends StepBase {
  kill: string;
  signal: NodeJS.Signals;
}

/** Writes a file of the scenario's folder (placeholders substituted): a config to reload, a flag. */
export interface WriteStep extends StepBase {
  write: string;
  text: string;
}

/** Waits; nothing is recorded but the events that come meanwhile. */
export interface SleepStep extends StepBase {
  sleep: number;
}

/**
 * Waits until that many circusctl started in the background are connected to the daemon's
 * pub/sub socket (a program slow to start on a busy machine misses no event); nothing is
 * recorded.
 */
export interface SubscribedStep {
  tag?: string;
  subscribed: number;
}

/**
 * Subscribes to the stats endpoint (`ipc://{tmp}/stats.sock`) for this many ms and records
 * the last frame of each topic: one round of circusd-stats, as a subscriber sees it.
 */
export interface StatsStep extends StepBase {
  stats: number;
}

export type Step =
  | CallStep
  | RawStep
  | CtlStep
  | KillStep
  | WriteStep
  | InterruptStep
  | SubscribedStep
  | SleepStep
  | StatsStep;

/** One scenario: a fresh daemon on `config`, driven through `steps`. */
export interface Scenario {
  /** The golden file's name (`golden/NAME.json`). */
  name: string;
  description: string;
  /**
   * The config, without `[circus]` endpoints (the driver adds them). Placeholders: `{tmp}`
   * (the scenario's folder), `{port}` (a free TCP port), `{hooks:NAME}` (a hook: Python for
   * the reference, JavaScript for ours; see hooks.ts).
   */
  config: string;
  /** More `[circus]` options (same placeholders), e.g. `statsd = true`. */
  circus?: string;
  steps: Step[];
}

/** What the driver saw for one step. */
export interface StepRecord {
  /** The step, as written (its kind and arguments). */
  step: string;
  /** The reply (calls and raw frames), typed as Python reads it (floats stay floats). */
  reply?: unknown;
  /** circusctl's output. */
  output?: { stdout: string | unknown; stderr: string; code: number | null };
  /** The events published while the step ran, in arrival order. */
  events: { topic: string; data: unknown }[];
}

/** A scenario's record: raw from the driver, then normalized for the golden file. */
export interface Transcript {
  scenario: string;
  steps: StepRecord[];
}

/** A short text of a step, for records and failure messages. */
export function describeStep(step: Step): string {
  if ("call" in step)
    return `${step.cast ? "cast" : "call"} ${step.call} ${JSON.stringify(step.props ?? {})}`;
  if ("raw" in step) return `raw ${step.raw}`;
  if ("ctl" in step)
    return `circusctl ${step.json ? "--json " : ""}${step.ctl.join(" ")}${step.background ? " &" : ""}`;
  if ("interrupt" in step) return `ctrl-c ${step.interrupt}`;
  if ("kill" in step) return `kill -${step.signal} ${step.kill}`;
  if ("write" in step) return `write ${step.write}`;
  if ("sleep" in step) return `sleep ${step.sleep}`;
  if ("subscribed" in step) return `until ${step.subscribed} subscribed`;
  if ("stats" in step) return `stats for ${step.stats} ms`;
  return "?";
}
