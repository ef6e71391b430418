/** circusctl's output of every command, plain and with --json, and its exit status. */
import { CHECK, type CtlStep, type Scenario } from "../scenario.js";

/** Figures of stats lines that vary: sizes, percentages, CPU times. */
const FIGURES = ["\\b\\d+\\.\\d\\d[BKMGT]\\b", "\\b\\d+\\.\\d+\\b", "\\b\\d+:\\d\\d\\.\\d+\\b"];

interface Line {
  words: string[];
  scrub?: string[];
  events?: "unordered";
  quiet?: number;
  tag?: string;
}

const WORDS: Line[] = [
  { words: ["status"] },
  { words: ["status", "web"] },
  { words: ["list"] },
  { words: ["list", "web"] },
  { words: ["numwatchers"] },
  { words: ["numprocesses"] },
  { words: ["numprocesses", "web"] },
  { words: ["options", "web"] },
  { words: ["get", "web", "numprocesses", "graceful_timeout", "env"] },
  { words: ["globaloptions"] },
  { words: ["globaloptions", "check_delay"] },
  { words: ["listsockets"], scrub: ["^\\d+:"] },
  { words: ["stats", "web"], scrub: FIGURES },
  { words: ["stats"], scrub: FIGURES },
  { words: ["dstats"], scrub: [...FIGURES, "python3|node"] },
  { words: ["incr", "web"] },
  { words: ["incr", "web", "2", "--waiting"], events: "unordered" },
  { words: ["decr", "web", "--waiting"] },
  { words: ["decr", "web", "2"], events: "unordered" },
  { words: ["set", "web", "graceful_timeout", "1.5"] },
  { words: ["set", "web", "numprocesses", "1", "--waiting"] },
  { words: ["stop", "web", "--waiting"] },
  { words: ["start", "web", "--waiting"] },
  { words: ["restart", "web", "--waiting"] },
  { words: ["reload", "web", "--waiting"] },
  { words: ["reload", "web"] },
  { words: ["kill", "web", "--waiting"], quiet: CHECK },
  { words: ["signal", "web", "WINCH"] },
  { words: ["add", "later", "sleep", "1001"] },
  { words: ["add", "--start", "now", "sleep 1002"] },
  { words: ["rm", "later"] },
  { words: ["rm", "now"] },
  { words: ["reloadconfig"], events: "unordered" },
  { words: ["status", "nope"], tag: "status-error-reason" },
  { words: ["start", "nope", "--waiting"] },
  { words: ["list", "a", "b"] },
  { words: ["incr"] },
  { words: ["quit", "--waiting"], events: "unordered" },
];

function ctlScenario(json: boolean): Scenario {
  const steps: CtlStep[] = WORDS.map(({ words, scrub, events, quiet, tag }) => ({
    ctl: words,
    json,
    ...(tag ? { tag } : {}),
    quiet: quiet ?? 800,
    ...(scrub && !json ? { scrub } : {}),
    ...(events ? { events } : {}),
  }));
  return {
    name: json ? "ctl-json" : "ctl-plain",
    description: `circusctl ${json ? "--json " : ""}COMMAND for every command`,
    config: `
[socket:web]
host = 127.0.0.1
port = {port}

[watcher:web]
cmd = sleep 1000
graceful_timeout = 2
`,
    steps,
  };
}

export const CTL: Scenario[] = [ctlScenario(false), ctlScenario(true)];

CTL.push({
  name: "ctl-listen",
  description: "circusctl listen prints the events it gets until Ctrl-C",
  config: `
[watcher:web]
cmd = sleep 1000
`,
  steps: [
    { ctl: ["listen"], pubsub: true, background: "all" },
    { ctl: ["listen", "watcher.web.spawn"], pubsub: true, background: "spawns" },
    // The manual's `circusctl listen tcp://127.0.0.1:5556`: the endpoint as an argument.
    { ctl: ["listen", "ipc://{tmp}/pubsub.sock"], background: "byarg" },
    // Each connected (however slow to start), then time for its subscription to follow.
    { subscribed: 3 },
    { sleep: 1000 },
    { call: "incr", props: { name: "web", waiting: true } },
    { call: "decr", props: { name: "web", waiting: true } },
    { interrupt: "all", tag: "listen-output" },
    { interrupt: "spawns", tag: "listen-output" },
    { interrupt: "byarg", tag: "listen-endpoint" },
  ],
});
