/** The wire itself: frames that are not requests, unknown commands, casts, quit. */
import type { Scenario } from "../scenario.js";

const ONE = `
[watcher:web]
cmd = sleep 1000
`;

export const PROTOCOL: Scenario[] = [
  {
    name: "protocol-errors",
    description: "bad JSON, unknown commands, odd requests, casts; the daemon keeps serving",
    config: ONE,
    steps: [
      { raw: "not json" },
      { raw: '{"id": "p1", "command": "nope", "properties": {}}' },
      { raw: '{"id": "p2", "command": "list"}' },
      { raw: '{"command": "list", "properties": {}}' },
      { raw: '{"id": "p4", "command": "list", "properties": {"name": "web"}, "extra": 1}' },
      { raw: '{"id": "p5", "command": "numwatchers", "properties": null}', tag: "wrong-type" },
      { raw: '{"id": "p6", "command": "numwatchers", "properties": []}', tag: "wrong-type" },
      { raw: '{"id": "p9", "command": "listen", "properties": {}}' },
      { raw: '{"id": "p10", "command": "Status", "properties": {}}' },
      {
        raw: '{"id": "p11", "command": "list", "properties": {}, "msg_type": "cast"}',
        noReply: true,
      },
      {
        raw: '{"id": "p12", "command": "nope", "properties": {}, "msg_type": "cast"}',
        noReply: true,
      },
      { call: "stop", props: { name: "web" }, cast: true },
      { call: "status", props: { name: "web" } },
      { call: "start", props: { name: "web" }, cast: true },
      { call: "status", props: { name: "web" } },
      { raw: '{"id": 7, "command": "numwatchers", "properties": {}}' },
      { raw: '{"id": "p13", "command": "numwatchers", "properties": {}, "msg_type": "call"}' },
      { call: "numwatchers" },
    ],
  },
  {
    name: "protocol-garbage",
    description: "frames that are not requests get an error reply, and the daemon goes on",
    config: ONE,
    // After the first of these the reference answers no one any more (an exception in its
    // message handler): each is "no reply" there, and the last call shows ours still serves.
    steps: [
      { raw: '{"id": "g1", "command": 12, "properties": {}}', tag: "no-reply", noReply: true },
      { raw: '{"id": "g2", "properties": {}}', tag: "no-reply", noReply: true },
      { raw: "[1, 2]", tag: "no-reply", noReply: true },
      { raw: '"text"', tag: "no-reply", noReply: true },
      { raw: "   ", tag: "no-reply", noReply: true },
      { call: "numwatchers", tag: "no-reply" },
    ],
  },
  {
    name: "quit",
    description: "quit stops every watcher and the daemon",
    config: `${ONE}
[watcher:other]
cmd = sleep 1001
`,
    steps: [{ call: "quit", props: { waiting: true }, events: "unordered", quiet: 1500 }],
  },
  {
    name: "quit-nowait",
    description: "quit replies at once, then stops every watcher",
    config: ONE,
    steps: [{ call: "quit", quiet: 1500 }],
  },
];

/** Each state-changing command with a property of the wrong type. */
PROTOCOL.push({
  name: "wrong-types",
  description: "state-changing commands with properties of the wrong JSON type",
  config: `
[watcher:web]
cmd = sleep 1000
`,
  steps: [
    { call: "start", props: { name: 3 }, tag: "wrong-type" },
    { call: "stop", props: { name: ["web"] }, tag: "wrong-type" },
    { call: "restart", props: { name: "web", match: 1 }, tag: "wrong-type" },
    { call: "reload", props: { name: 3 }, tag: "wrong-type" },
    { call: "incr", props: { name: 3 }, tag: "wrong-type" },
    { call: "decr", props: { name: "web", nb: [1] }, tag: "wrong-type" },
    { call: "kill", props: { name: "web", pid: "abc" }, tag: "wrong-type" },
    { call: "signal", props: { name: "web", signum: [15] }, tag: "wrong-type" },
    { call: "signal", props: { name: "web", signum: 15, pid: "x" }, tag: "wrong-type" },
    { call: "rm", props: { name: 3 }, tag: "wrong-type" },
    { call: "add", props: { name: 3, cmd: "sleep 1" }, tag: "wrong-type" },
    { call: "set", props: { name: 3, options: {} }, tag: "wrong-type" },
    { call: "stats", props: { name: 3 }, tag: "wrong-type" },
    { call: "numprocesses", props: { name: 3 }, tag: "wrong-type" },
    { call: "status", props: { name: "web" } },
    // The reference adds this watcher (its command fails only at start): last.
    { call: "add", props: { name: "x", cmd: ["sleep", "1"] }, tag: "wrong-type" },
  ],
});
