/**
 * Where ours differs from Circus 0.19 on purpose, each with its reason. The conformance test
 * accepts exactly these differences and fails on any other; an entry no scenario shows any
 * more fails too, so this list stays true. README's "Where we differ" says the same in prose.
 */

/** One deliberate difference: which differences it accepts (all given regexes must match). */
export interface Deliberate {
  id: string;
  reason: string;
  scenario?: RegExp;
  /** The step's text, as in golden files (`call stop {"name":"x"}`). */
  step?: RegExp;
  /** The step's tag in the scenario. */
  tag?: string;
  /** The path of the difference (`reply.reason`, `events[0]:watcher.x.kill`). */
  path?: RegExp;
  /** What the reference answered there, as reported. */
  expected?: RegExp;
  /** The reference's reply to the step had this `reason`. */
  goldenReason?: RegExp;
  /**
   * Events of these topics may come in different numbers (ours publishes some the reference
   * does not): they are left out of the step's comparison when the counts differ.
   */
  extraEvents?: RegExp;
}

export const DELIBERATE: Deliberate[] = [
  {
    id: "python-exception",
    reason:
      "A request the reference fails on with an uncaught Python exception (errno 5, reason " +
      "`command b'<the request>': <exception>`) is refused by ours with errno 3 and a reason " +
      "that names the property or the problem.",
    goldenReason: /^command b'/,
    path: /^(reply\.|events)/,
  },
  {
    id: "wrong-type",
    reason:
      "A property of the wrong JSON type is refused up front with errno 3 and a reason naming " +
      "it; the reference takes it as it comes and fails later, or does something else " +
      '(iterates the letters of a string, treats "no" as true).',
    tag: "wrong-type",
  },
  {
    id: "no-reply",
    reason:
      "A frame that is not a request (not a JSON object, no command, a command that is not " +
      "a string, an empty frame) gets an error reply; the reference sends none, and after an " +
      "empty frame it stops answering anyone.",
    tag: "no-reply",
  },
  {
    id: "pid-not-found",
    reason:
      "`kill` and `signal` naming a pid the watcher does not have reply with an error " +
      "(`process PID not found in 'NAME'`); the reference replies ok and does nothing.",
    tag: "pid-not-found",
  },
  {
    id: "refused-not-ok",
    reason:
      "A state change that cannot happen is refused with an error reply also without " +
      "`waiting`: `kill` of an unknown watcher says `program NAME not found`; the reference " +
      "replies ok and logs the failure.",
    tag: "refused-not-ok",
  },
  {
    id: "reap-always",
    reason:
      "A reap event is published for every process that ends, with its exit code; the " +
      "reference publishes none for processes it ends itself outside a stop (kill, decr, " +
      "reload, set), unless its periodic check happens to reap them first.",
    extraEvents: /\.reap$/,
  },
  {
    id: "reloadconfig-events",
    reason:
      "Watchers that reloadconfig adds, removes or changes publish `add`, `remove` and " +
      "`updated`, as with the add, rm and set commands, so that subscribers (plugins reading " +
      "their options) keep up; the reference publishes none of them there.",
    step: /reloadconfig/,
    extraEvents: /\.(add|remove|updated)$/,
  },
  {
    id: "restart-all",
    reason:
      '`restart` without a name stops and starts every watcher, as documented ("This ' +
      'function simply stop a watcher then restart it"), keeping what `set` changed; the ' +
      "reference restarts its whole arbiter from the config file (dropping what `set` " +
      "changed and binding its endpoints again).",
    tag: "restart-all",
  },
  {
    id: "status-error-reason",
    reason:
      "`circusctl status NAME` of an unknown watcher prints `error: program NAME not found`; " +
      "the reference's circusctl prints `error` alone (its status output reads the reply's " +
      '`status` field, which is "error").',
    tag: "status-error-reason",
  },
  {
    id: "stop-children",
    reason:
      "With stop_children, the stop signal reaches the process's children too, with a kill " +
      "event for each, and the SIGKILL after graceful_timeout reaches every descendant; in " +
      "the reference (0.19) the signal to the children fails after the process's own, and " +
      "they are left running.",
    scenario: /^stop-children$/,
    extraEvents: /\.kill$/,
  },
  {
    id: "listen-output",
    reason:
      "`circusctl listen` prints each event as `topic: {json}`, as the manual shows it; the " +
      "reference's circusctl (on Python 3) prints the bytes' reprs, `b'topic': b'{json}'`.",
    tag: "listen-output",
    path: /^output\.stdout$/,
  },
  {
    id: "listen-endpoint",
    reason:
      "`circusctl listen ENDPOINT` listens on ENDPOINT, as the manual's example " +
      "(`circusctl listen tcp://127.0.0.1:5556`) does; the reference's circusctl takes it as " +
      "a topic and listens on --endpoint, so that it prints nothing.",
    tag: "listen-endpoint",
    path: /^output\.stdout$/,
  },
  {
    id: "sequential-reload",
    reason:
      "A sequential reload starts each new process before it stops an old one, so that a " +
      "socket always has a process to accept; the reference stops the old one first.",
    step: /"sequential":true/,
    path: /^events$/,
  },
  {
    id: "daemon-program",
    reason:
      "dstats and the stats stream name circus's own programs (circusd, circusd-stats): " +
      "node here, python3 there.",
    step: /dstats|^stats for/,
    path: /\.cmdline$/,
  },
  {
    id: "stream-class",
    reason:
      "`stdout_stream_conf` and `stderr_stream_conf` keep the stream's `class`; the " +
      "reference's stream factory pops it from the very mapping it shows.",
    path: /_stream_conf\.class$/,
  },
  {
    id: "env-section-name",
    reason:
      "An `[env:NAME]` section's variables reach the processes without the `__name__` " +
      "entry that the reference's config reader leaks into their environment.",
    path: /\.env\.__name__$/,
  },
];
