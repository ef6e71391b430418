/**
 * circus-top: subscribes to circusd-stats's stream and shows it live in the terminal until
 * `q`, Ctrl-C or a signal. Read-only: it never talks to circusd's control socket.
 *
 * The screen is drawn once a second, and at once after a key or a resize (and soon after
 * the first frame of the stream); the stream itself (a burst of frames every second) only
 * updates the model.
 */
import { CallError } from "../client/errors.js";
import { openSshTunnel, type SshTunnel } from "../client/ssh.js";
import { Subscriber } from "../client/subscriber.js";
import { CertError } from "../security/certs.js";
import { curveClientFrom } from "../security/client-options.js";
import { endpointProblem, type TopOptions } from "./args.js";
import { Controls, parseKeys } from "./keys.js";
import { layoutScreen } from "./layout.js";
import { StatsModel } from "./stats-model.js";
import { colorsWanted, Terminal, type TerminalStreams } from "./terminal.js";

/** A reason circus-top cannot run: one line on stderr and exit status 1. */
export class TopError extends Error {
  override name = "TopError";
}

/** How often the screen is redrawn when nothing else asks for it. */
const REFRESH_MS = 1000;
/** How soon after a key or a resize: enough to batch a burst of them (a paste, a drag). */
const SOON_MS = 30;
/**
 * How soon after the first frame: circusd-stats publishes a second's figures as one burst of
 * frames, which should be on the first screen whole, not a watcher without its aggregate.
 */
const FIRST_FRAME_MS = 250;

/** Where circus-top runs: its terminal and environment (the process's by default). */
export interface TopHost {
  streams: TerminalStreams;
  env: NodeJS.ProcessEnv;
}

const PROCESS_HOST: TopHost = {
  streams: { input: process.stdin, output: process.stdout },
  env: process.env,
};

/** Connects to the endpoint, through an ssh tunnel with `--ssh`. */
async function connect(
  options: TopOptions,
): Promise<{ subscriber: Subscriber; tunnel: SshTunnel | null }> {
  let tunnel: SshTunnel | null = null;
  try {
    // Before the screen is taken: ssh may ask for a password on the terminal.
    if (options.ssh) {
      tunnel = await openSshTunnel({
        server: options.ssh,
        endpoint: options.endpoint,
        keyfile: options.sshKeyfile,
      });
    }
    const endpoint = tunnel?.endpoint ?? options.endpoint;
    const curve = curveClientFrom({
      key: options.curveKey ?? undefined,
      serverKey: options.curveServerKey ?? undefined,
    });
    const subscriber = new Subscriber({
      endpoint,
      topics: ["stat."],
      ...(curve ? { curve } : {}),
    });
    return { subscriber, tunnel };
  } catch (error) {
    tunnel?.close();
    if (error instanceof CallError || error instanceof CertError) throw new TopError(error.message);
    throw error;
  }
}

/**
 * Runs the console until the user quits; resolves with the exit status (0 after `q` or
 * Ctrl-C, 128 + the signal's number after SIGINT, SIGTERM or SIGHUP). Rejects with
 * {@link TopError} when it cannot start (no terminal, a bad endpoint, a failed ssh tunnel);
 * the terminal is given back before it rejects or resolves, whatever happened.
 */
export async function runTop(options: TopOptions, host: TopHost = PROCESS_HOST): Promise<number> {
  const { input, output } = host.streams;
  const problem = endpointProblem(options.endpoint);
  if (problem) throw new TopError(`--endpoint: ${problem}`);
  if (!output.isTTY)
    throw new TopError("stdout is not a terminal (circus-top draws a full screen)");
  const { subscriber, tunnel } = await connect(options);
  const source = options.ssh
    ? `${options.endpoint} (through ssh ${options.ssh})`
    : options.endpoint;
  const model = new StatsModel(options.processTimeout);
  const controls = new Controls();
  const terminal = new Terminal(host.streams, colorsWanted(host.env, output));
  const startedAt = Date.now();

  return new Promise<number>((resolve, reject) => {
    let done = false;
    let soon: NodeJS.Timeout | null = null;

    const render = (): void => {
      if (soon) clearTimeout(soon);
      soon = null;
      const now = Date.now();
      model.expire(now);
      const { width, height } = terminal.size;
      const view = { width, height, now, startedAt, source, ...controls.view() };
      const screen = layoutScreen(model, view);
      controls.scroll = screen.scroll;
      // A page: the rows between the title and rule on top and the status bar, less one
      // kept in view.
      controls.page = height - 4;
      terminal.draw(screen.lines);
    };
    const renderSoon = (delay = SOON_MS): void => {
      soon ??= setTimeout(render, delay);
    };
    const onKeys = (chunk: Buffer | string): void => {
      for (const key of parseKeys(chunk.toString())) {
        const effect = controls.press(key);
        if (effect === "quit") return finish(0);
        if (effect === "repaint") terminal.repaint();
        if (effect !== "none") renderSoon();
      }
    };
    const onSignal = (signal: NodeJS.Signals): void =>
      finish(128 + (signal === "SIGHUP" ? 1 : signal === "SIGINT" ? 2 : 15));
    const onCrash = (error: unknown): void => finish(1, error);
    const onExit = (): void => terminal.leave();

    const timer = setInterval(render, REFRESH_MS);
    const onEnd = (): void => finish(0);
    // A 'data' listener starts reading: only from a terminal (see Terminal.enter).
    if (input.isTTY) {
      input.on("data", onKeys);
      input.on("end", onEnd);
    }
    const onResize = (): void => renderSoon();
    output.on("resize", onResize);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);
    process.on("exit", onExit);

    function finish(code: number, error?: unknown): void {
      if (done) return;
      done = true;
      clearInterval(timer);
      if (soon) clearTimeout(soon);
      input.removeListener("data", onKeys);
      input.removeListener("end", onEnd);
      output.removeListener("resize", onResize);
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.removeListener(signal, onSignal);
      }
      process.removeListener("uncaughtException", onCrash);
      process.removeListener("unhandledRejection", onCrash);
      process.removeListener("exit", onExit);
      terminal.leave();
      subscriber.close();
      tunnel?.close();
      if (error === undefined) resolve(code);
      else reject(error instanceof Error ? error : new Error(String(error)));
    }

    terminal.enter();
    render();
    void (async () => {
      for await (const event of subscriber) {
        // Shown at once when it replaces "Waiting for data"; otherwise at the next tick.
        const waiting = model.empty;
        if (model.ingest(event.topic, event.data, Date.now()) && waiting) {
          renderSoon(FIRST_FRAME_MS);
        }
      }
      // A refused CURVE handshake ends the stream: said in one line, as a bad endpoint is.
    })().catch((error: unknown) =>
      onCrash(error instanceof CallError ? new TopError(error.message) : error),
    );
  });
}
