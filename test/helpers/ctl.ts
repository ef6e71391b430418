/**
 * Helpers of the client and circusctl tests: free ports for each daemon's control and
 * pub/sub endpoints, a circusd whose control socket answers, and the built circusctl run as
 * a user runs it (through pipes, or in a real pseudo-terminal with `script`).
 */
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "../../src/client/client.js";
import { ROOT, startCircusd, waitFor, type Circusd } from "./circusd.js";
import { defer } from "./cleanup.js";

/** The built circusctl entry point. */
export const CIRCUSCTL = path.join(ROOT, "dist/cli/circusctl.js");

/** A TCP port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A circusd with its own control and pub/sub endpoints. */
export interface Daemon {
  circusd: Circusd;
  endpoint: string;
  pubsub: string;
}

/**
 * Starts circusd with `[circus]` naming fresh tcp endpoints, followed by `sections` (a
 * function of the temp folder), and waits until the control endpoint answers `list`.
 */
export async function startDaemon(sections: (dir: string) => string = () => ""): Promise<Daemon> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const pubsub = `tcp://127.0.0.1:${await freePort()}`;
  const circusd = startCircusd(
    (dir) =>
      `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\ncheck_delay = 1\n\n${sections(dir)}`,
  );
  const client = new Client({ endpoint, timeout: 1 });
  try {
    await waitFor(
      async () => {
        if (circusd.exitStatus) throw new Error(`circusd exited: ${circusd.stderr}${circusd.log}`);
        return (await client.call("list")).status === "ok";
      },
      {
        message: () =>
          `circusd's control endpoint ${endpoint}; log:\n${circusd.log}\n${circusd.stderr}`,
      },
    );
  } finally {
    client.close();
  }
  return { circusd, endpoint, pubsub };
}

/** A Client (the project's library) on `endpoint`, closed at cleanup. */
export function clientOf(endpoint: string, timeout?: number): Client {
  const client = new Client(timeout === undefined ? { endpoint } : { endpoint, timeout });
  defer(() => client.close());
  return client;
}

/** What a circusctl run printed and how it ended. */
export interface CtlResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCtl}. */
export interface CtlOptions {
  /** Written to circusctl's stdin, which is then closed. */
  input?: string;
  /** Added to (or, with undefined values, removed from) the test's environment. */
  env?: Record<string, string | undefined>;
  /** Milliseconds before circusctl is killed (the test then sees signal SIGKILL). */
  timeout?: number;
}

/** The test's environment with `extra` applied. */
export function ctlEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CIRCUSCTL_ENDPOINT;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `node dist/cli/circusctl.js ARGS` to completion. */
export async function runCtl(args: string[], options: CtlOptions = {}): Promise<CtlResult> {
  const child = spawn(process.execPath, [CIRCUSCTL, ...args], {
    env: ctlEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdin.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout ?? 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/**
 * circusctl in a real pseudo-terminal (`script -qfec`), fed keystrokes one write at a time:
 * what a user at a terminal sees, echo, prompts and completions included.
 */
export class PtyCtl {
  readonly child;
  output = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string | undefined> = {}) {
    const command = [process.execPath, CIRCUSCTL, ...args].map(quote).join(" ");
    // -e: script exits with circusctl's status; -f: flush output at once; output to /dev/null.
    this.child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: ctlEnv({ TERM: "dumb", COLUMNS: "200", ...env }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout.setEncoding("utf8").on("data", (c: string) => (this.output += c));
    this.child.stderr.setEncoding("utf8").on("data", (c: string) => (this.output += c));
    this.exited = new Promise((resolve) => this.child.once("close", (code) => resolve(code)));
  }

  /** Types `keys` (raw: "\t" is Tab, "\x04" Ctrl-D, "\r" Enter). */
  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Waits until the output, after position `from`, matches `regex`. */
  async waitFor(regex: RegExp, from = 0, timeout = 15_000): Promise<string> {
    return waitFor(() => (regex.test(this.output.slice(from)) ? this.output : null), {
      timeout,
      message: () => `${regex} in the terminal; got:\n${JSON.stringify(this.output.slice(from))}`,
    });
  }

  /** Output without the terminal's control sequences. */
  get text(): string {
    // eslint-disable-next-line no-control-regex
    return this.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
  }

  async close(): Promise<void> {
    this.child.kill("SIGKILL");
    await Promise.race([this.exited, sleep(2000)]);
  }
}

function quote(word: string): string {
  return /^[\w./:=@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
