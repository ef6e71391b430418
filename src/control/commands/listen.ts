import type { Command } from "../command.js";
import { MessageError } from "../protocol.js";

/**
 * `listen [TOPIC...]`: circusctl subscribes to the pub/sub endpoint itself; sent to the
 * control endpoint the command is refused, as Circus does.
 */
export const listen: Command = {
  name: "listen",
  summary: "Subscribe to a watcher event",
  help: `Subscribe to a watcher event

At any moment you can subscribe to a circus event. Circus provides a PUB/SUB feed on
which any clients can subscribe. The subscriber endpoint URI is set in the circus.ini
configuration file (pubsub_endpoint).

Events are pubsub topics:
    watcher.<watchername>.reap: when a process is reaped
    watcher.<watchername>.spawn: when a process is spawned
    watcher.<watchername>.kill: when a process is killed
    watcher.<watchername>.updated: when watcher configuration is updated
    watcher.<watchername>.stop: when a watcher is stopped
    watcher.<watchername>.start: when a watcher is started
    watcher.<watchername>.add / .remove: when a watcher is added or removed
    watcher.<watchername>.hook_success / .hook_failure: after a hook ran

All events messages are in a json struct.

Command line:
    $ circusctl listen [<topic>, ...]

Example:
    $ circusctl listen tcp://127.0.0.1:5556
    watcher.refuge.spawn: {'process_id': 6, 'process_pid': 72976, 'time': 1331681080.985104}`,
  mutating: false,
  validate: () => {},
  execute() {
    throw new MessageError("invalid message. use a pub/sub socket");
  },
  // The topics to subscribe to; "" (everything) when none is given.
  message: (line) => ({ topics: line.args.length === 0 ? [""] : [...line.args] }),
  consoleOutput: (reply) => `${String(reply.topic)}: ${JSON.stringify(reply.data ?? reply)}`,
};
