/**
 * The base class of plugins, as Circus's `circus.plugins.CircusPlugin`: a plugin is a process
 * of its own (run by circusd as a watcher, or by `circus-plugin`) that receives circusd's
 * events from the pub/sub endpoint and sends commands to the control endpoint.
 */
import { Client } from "../client/client.js";
import { openSshTunnel, type SshTunnel } from "../client/ssh.js";
import type { CurveClient } from "../security/client-options.js";
import { Subscriber } from "../client/subscriber.js";
import type { CircusReply } from "../control/protocol.js";
import { logger } from "../log/logger.js";
import { readOptions } from "./options.js";

/** What every plugin takes, as Circus's base class does. */
const BASE_OPTIONS = { active: { type: "bool", default: "true" } } as const;

/** A topic split as Circus's `split_data` does: `watcher.web.spawn` -> web, spawn. */
export interface TopicParts {
  watcher: string;
  action: string;
}

/**
 * Subclass it and implement {@link handleRecv}; {@link handleInit} and {@link handleStop}
 * are there for setting up and cleaning up; {@link every} runs periodic work (timers are
 * cleared at stop). `config` is the `[plugin:NAME]` section (or `--config key:value`), as
 * strings.
 *
 * ```ts
 * export class Logger extends CircusPlugin {
 *   handleRecv(topic: string, message: string) {
 *     const { watcher, action } = CircusPlugin.splitTopic(topic);
 *     appendFileSync(this.config.filename, `${action} ${watcher}::${message}\n`);
 *   }
 * }
 * ```
 */
export abstract class CircusPlugin {
  /** The plugin's name in logs (the class name unless set). */
  name: string;
  /** The plugin's options, as strings. */
  readonly config: Record<string, string>;
  /** `active = false` in the config: {@link start} refuses to run, as in Circus. */
  readonly active: boolean;
  /** Connected by {@link start}. */
  protected client: Client | null = null;
  private subscriber: Subscriber | null = null;
  private readonly tunnels: SshTunnel[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  /**
   * CURVE: the plugin's client keys, set before {@link start} (circus-plugin reads them from
   * its options; circusd gives its plugins circus's own key). Null: no CURVE.
   */
  curve: CurveClient | null = null;
  private done: Promise<void> | null = null;

  /**
   * @param endpoint circusd's control endpoint
   * @param pubsubEndpoint circusd's pub/sub endpoint
   * @param checkDelay `[circus] check_delay`, in seconds
   * @param config the plugin's options
   * @param sshServer reach both endpoints through `ssh` (`user@host[:port]`)
   */
  constructor(
    readonly endpoint: string,
    readonly pubsubEndpoint: string,
    readonly checkDelay: number,
    config: Record<string, string> = {},
    readonly sshServer: string | null = null,
  ) {
    this.config = { ...config };
    this.name = this.constructor.name;
    // Read like any declared option, so that a bad value is refused naming `active`.
    this.active = readOptions(BASE_OPTIONS, config).active;
  }

  /** Topics received; Circus's plugins get every watcher event. */
  protected topics(): string[] {
    return ["watcher."];
  }

  /**
   * Connects, calls {@link handleInit}, then hands every event to {@link handleRecv} until
   * {@link stop}. Resolves once stopped.
   */
  async start(): Promise<void> {
    if (!this.active) throw new Error(`will not start the inactive plugin ${this.name}`);
    if (this.running) return;
    this.running = true;
    const [endpoint, pubsub] = await Promise.all([
      this.reach(this.endpoint),
      this.reach(this.pubsubEndpoint),
    ]);
    const curve = this.curve ? { curve: this.curve } : {};
    this.client = new Client({ endpoint, timeout: Math.max(5, this.checkDelay), ...curve });
    this.subscriber = new Subscriber({ endpoint: pubsub, topics: this.topics(), ...curve });
    await this.handleInit();
    this.done = this.receive(this.subscriber);
    await this.done;
  }

  private async receive(subscriber: Subscriber): Promise<void> {
    for await (const event of subscriber) {
      try {
        await this.handleRecv(event.topic, event.raw);
      } catch (error) {
        logger.error(`${this.name}: handling ${event.topic} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Calls {@link handleStop}, clears the timers and closes the sockets. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    try {
      await this.handleStop();
    } finally {
      for (const timer of this.timers) clearInterval(timer);
      this.timers.clear();
      this.subscriber?.close();
      this.client?.close();
      for (const tunnel of this.tunnels.splice(0)) tunnel.close();
    }
    await this.done;
  }

  /** Sends a command to circusd and resolves with its reply (an error reply too). */
  call(command: string, properties: Record<string, unknown> = {}): Promise<CircusReply> {
    if (!this.client) return Promise.reject(new Error(`${this.name} is not started`));
    return this.client.call(command, properties);
  }

  /** Sends a command without waiting for a reply. */
  cast(command: string, properties: Record<string, unknown> = {}): void {
    if (!this.client) throw new Error(`${this.name} is not started`);
    void this.client.cast(command, properties).catch((error: unknown) => {
      logger.warning(`${this.name}: ${command} not sent: ${(error as Error).message}`);
    });
  }

  /**
   * Runs `work` every `seconds` (the first time after one period) until the plugin stops;
   * a run that throws is logged and the next one runs all the same.
   */
  every(seconds: number, work: () => unknown): NodeJS.Timeout {
    let busy = false;
    const timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        await work();
      } catch (error) {
        logger.error(`${this.name}: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    }, seconds * 1000);
    this.timers.add(timer);
    return timer;
  }

  /** Called once connected, before the first event. */
  handleInit(): void | Promise<void> {}

  /** Called with every event: its topic (`watcher.web.spawn`) and JSON body as text. */
  abstract handleRecv(topic: string, message: string): void | Promise<void>;

  /** Called when the plugin stops. */
  handleStop(): void | Promise<void> {}

  /** `watcher.web.spawn` -> `{watcher: "web", action: "spawn"}` (Circus's `split_data`). */
  static splitTopic(topic: string): TopicParts {
    const [, watcher = "", action = ""] = topic.split(".");
    return { watcher, action };
  }

  /** An event body parsed (Circus's `load_message`); `{}` when it is not a JSON object. */
  static loadMessage(message: string | Buffer): Record<string, unknown> {
    try {
      const value: unknown = JSON.parse(message.toString());
      return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  private async reach(endpoint: string): Promise<string> {
    if (!this.sshServer) return endpoint;
    const tunnel = await openSshTunnel({ server: this.sshServer, endpoint });
    this.tunnels.push(tunnel);
    return tunnel.endpoint;
  }
}

/** A plugin class: what `use` names. */
export type PluginClass = new (
  endpoint: string,
  pubsubEndpoint: string,
  checkDelay: number,
  config: Record<string, string>,
  sshServer?: string | null,
) => CircusPlugin;
