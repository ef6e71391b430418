/**
 * Supervisor's own control interface: XML-RPC (what supervisorctl speaks) over its unix
 * socket, with HTTP keep-alive so that one connection carries the calls.
 */
import { existsSync } from "node:fs";
import { Agent, request } from "node:http";
import type { ControlRpc } from "./rpc.js";

/** A methodCall without parameters. */
function methodCall(method: string): string {
  return (
    `<?xml version="1.0"?>\n<methodCall><methodName>${method}</methodName>` +
    `<params></params></methodCall>\n`
  );
}

/** The faultString of an XML-RPC fault response, or undefined for a good response. */
function faultOf(body: string): string | undefined {
  if (!body.includes("<fault>")) return undefined;
  const match = /<name>faultString<\/name>\s*<value>(?:<string>)?([^<]*)/.exec(body);
  return match?.[1] ?? "XML-RPC fault";
}

/**
 * supervisord's XML-RPC on `socketPath`: the probe alternates `supervisor.getState` (the
 * daemon's state, constant size) and `supervisor.getAllProcessInfo` (one struct per process,
 * what `supervisorctl status` asks). Supervisor has no per-process resource figures: no stats.
 */
export function supervisorRpc(socketPath: string): ControlRpc {
  // One socket reused while calls come one at a time; a call made while another is still
  // pending (after a timeout) opens a second one instead of queueing behind it.
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 1 });
  return {
    transport: "XML-RPC over the unix socket, HTTP keep-alive",
    probeCalls: ["supervisor.getState", "supervisor.getAllProcessInfo"],
    ready: () => existsSync(socketPath),
    call(command, timeoutMs) {
      const payload = methodCall(command);
      return new Promise((resolve, reject) => {
        const req = request(
          {
            socketPath,
            path: "/RPC2",
            method: "POST",
            agent,
            timeout: timeoutMs,
            headers: { "content-type": "text/xml", "content-length": Buffer.byteLength(payload) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", reject);
            res.on("end", () => {
              const body = Buffer.concat(chunks).toString("utf8");
              if (res.statusCode !== 200) {
                resolve({ error: `HTTP ${res.statusCode}: ${body.slice(0, 200)}` });
                return;
              }
              const fault = faultOf(body);
              if (fault !== undefined) resolve({ error: fault });
              else resolve({ items: body.split("<name>pid</name>").length - 1 });
            });
          },
        );
        req.on("timeout", () => req.destroy(new Error(`no reply after ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
