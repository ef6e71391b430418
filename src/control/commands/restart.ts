import { startStopCommand } from "./start-stop.js";

/** `restart [NAME] [--waiting] [--match=simple|glob|regex]`. */
export const restart = startStopCommand(
  "restart",
  "restarts all the processes in a watcher or all watchers: it stops them, then starts them again.",
);
