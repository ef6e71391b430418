import { startStopCommand } from "./start-stop.js";

/** `stop [NAME] [--waiting] [--match=simple|glob|regex]`. */
export const stop = startStopCommand("stop", "stops a given watcher or all watchers.");
