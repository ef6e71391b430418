/** The command registry circusctl uses: the daemon's own (one list drives both). */
export { COMMANDS, getCommand } from "../../control/commands/index.js";
