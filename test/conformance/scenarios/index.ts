/** Every conformance scenario, in the order they run. */
import type { Scenario } from "../scenario.ts";
import { CTL } from "./ctl.ts";
import { LIFECYCLE } from "./lifecycle.ts";
import { PROCESSES } from "./processes.ts";
import { PROTOCOL } from "./protocol.ts";
import { READ } from "./read.ts";
import { RELOADCONFIG } from "./reloadconfig.ts";
import { STATS } from "./stats.ts";
import { WATCHERS } from "./watchers.ts";

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
