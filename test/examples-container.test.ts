/**
 * examples/Dockerfile, examples/container.ini and examples/kubernetes.yaml agree with each
 * other: read with the project's own config loader and the `yaml` package, the probes ask the
 * health port the config serves, the grace period covers the graceful stop, the image runs
 * circusd in container mode on that config and exposes the ports. The image is not built
 * (no registry here).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../src/config/load.js";
import { LEFTOVER_GRACE_SECONDS } from "../src/core/container.js";
import { ROOT } from "./helpers/circusd.js";

const CONFIG = path.join(ROOT, "examples/container.ini");
const config = loadConfig(CONFIG, {
  warn: (message) => assert.fail(`container.ini: unexpected warning: ${message}`),
});

interface Probe {
  httpGet: { path: string; port: number | string };
}
interface Container {
  name: string;
  ports: { name?: string; containerPort: number }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}

const docs = parseAllDocuments(readFileSync(path.join(ROOT, "examples/kubernetes.yaml"), "utf8"));
const manifests = docs.map((doc) => {
  assert.deepEqual(doc.errors, [], "kubernetes.yaml parses");
  return doc.toJS() as Record<string, unknown>;
});
const deployment = manifests.find((m) => m.kind === "Deployment") as {
  spec: {
    template: {
      spec: { terminationGracePeriodSeconds: number; containers: Container[] };
    };
  };
};
const pod = deployment.spec.template.spec;
const container = pod.containers[0] as Container;

/** A probe's port as a number: a named port is the container's port of that name. */
function probePort(probe: Probe): number {
  const { port } = probe.httpGet;
  if (typeof port === "number") return port;
  const named = container.ports.find((p) => p.name === port);
  assert.ok(named, `the container has a port named ${port}`);
  return named.containerPort;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): { instruction: string; args: string }[] {
  const text = readFileSync(path.join(ROOT, "examples/Dockerfile"), "utf8").replace(/\\\n/g, " ");
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [instruction = "", ...rest] = line.split(/\s+/);
      return { instruction: instruction.toUpperCase(), args: rest.join(" ") };
    });
}

describe("examples/container.ini", () => {
  test("serves the health endpoints on every address, with an essential web watcher on a socket", () => {
    assert.equal(config.circus.healthHost, "0.0.0.0");
    assert.equal(config.circus.healthPort, 8081);
    assert.equal(config.circus.container, true);
    const web = config.watchers.find((w) => w.name === "web");
    assert.ok(web);
    assert.equal(web.essential, true);
    assert.equal(web.useSockets, true);
    assert.match(web.cmd, /\$\(circus\.sockets\.web\)/);
    assert.ok(config.sockets.some((s) => s.name === "web"));
  });
});

describe("examples/kubernetes.yaml", () => {
  test("its probes ask circusd's health endpoints on health_port", () => {
    const health = config.circus.healthPort;
    assert.equal(container.livenessProbe.httpGet.path, "/healthz");
    assert.equal(probePort(container.livenessProbe), health);
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(probePort(container.readinessProbe), health);
    assert.ok(container.ports.some((p) => p.containerPort === health));
    const web = config.sockets.find((s) => s.name === "web");
    assert.ok(container.ports.some((p) => p.containerPort === web?.port));
  });

  test("terminationGracePeriodSeconds covers preStop, every graceful_timeout and the leftovers", () => {
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    const pause = preStop[0] === "sleep" ? Number(preStop[1]) : 0;
    const slowest = Math.max(...config.watchers.map((w) => w.gracefulTimeout));
    const needed = pause + slowest + LEFTOVER_GRACE_SECONDS;
    assert.ok(
      pod.terminationGracePeriodSeconds > needed,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > ${needed} (preStop ${pause} + graceful_timeout ${slowest} + leftovers ${LEFTOVER_GRACE_SECONDS})`,
    );
    for (const w of config.watchers)
      assert.ok(pod.terminationGracePeriodSeconds >= w.gracefulTimeout, w.name);
  });
});

describe("examples/Dockerfile", () => {
  const steps = dockerfile();

  test("runs on node:20-slim, circusd as the entrypoint with --container and the config", () => {
    const froms = steps.filter((s) => s.instruction === "FROM");
    assert.match(froms.at(-1)?.args ?? "", /^node:20-slim\b/);
    const entrypoint = steps.filter((s) => s.instruction === "ENTRYPOINT").at(-1);
    assert.ok(entrypoint, "an ENTRYPOINT");
    const argv = JSON.parse(entrypoint.args) as string[];
    const circusd = argv.findIndex((a) => a.endsWith("dist/cli/circusd.js"));
    assert.ok(circusd >= 0, `circusd in ${entrypoint.args}`);
    assert.ok(argv.includes("--container"), entrypoint.args);
    // The config it names is examples/container.ini, copied there.
    const configPath = argv.at(-1) as string;
    const copy = steps.find(
      (s) => s.instruction === "COPY" && s.args === `examples/container.ini ${configPath}`,
    );
    assert.ok(copy, `a COPY of examples/container.ini to ${configPath}`);
    // The worker the config runs is copied where the config says.
    const web = config.watchers.find((w) => w.name === "web");
    const worker = /\S*web-worker\.mjs/.exec(web?.cmd ?? "")?.[0];
    assert.ok(steps.some((s) => s.instruction === "COPY" && s.args.endsWith(` ${worker}`)));
    // The final stage has the built package: dist and the native helper.
    const final = steps.slice(steps.lastIndexOf(froms.at(-1) as (typeof steps)[number]));
    const copied = final.filter((s) => s.instruction === "COPY").map((s) => s.args);
    assert.ok(copied.some((a) => a.includes("/dist")));
    assert.ok(copied.some((a) => a.includes("circus_native.node")));
  });

  test("exposes the health port and the web socket's port", () => {
    const exposed = steps
      .filter((s) => s.instruction === "EXPOSE")
      .flatMap((s) => s.args.split(/\s+/))
      .map((p) => Number(p.split("/")[0]));
    assert.ok(exposed.includes(config.circus.healthPort as number), `EXPOSE ${exposed}`);
    const web = config.sockets.find((s) => s.name === "web");
    assert.ok(exposed.includes(web?.port as number), `EXPOSE ${exposed}`);
  });
});
