/** Every conformance scenario, in the order they run. */
import type { Scenario } from "../scenario.js";
import { CTL } from "./ctl.js";
import { LIFECYCLE } from "./lifecycle.js";
import { PROCESSES } from "./processes.js";
import { PROTOCOL } from "./protocol.js";
import { READ } from "./read.js";
import { RELOADCONFIG } from "./reloadconfig.js";
import { STATS } from "./stats.js";
import { WATCHERS } from "./watchers.js";

export const SCENARIOS: Scenario[] = [
  ...READ,
  ...LIFECYCLE,
  ...PROCESSES,
  ...WATCHERS,
  ...STATS,
  ...PROTOCOL,
  ...RELOADCONFIG,
  ...CTL,
];
