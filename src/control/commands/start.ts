import { startStopCommand } from "./start-stop.js";

/** `start [NAME] [--waiting] [--match=simple|glob|regex]`. */
export const start = startStopCommand(
  "start",
  "starts all the processes in a watcher or all watchers.",
);
