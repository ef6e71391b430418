import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../src/config/errors.js";
import { expandEnvVars, lookupEnv, substituteCircusEnv } from "../src/config/env.js";
import type { CircusConfig, WatcherConfig } from "../src/config/types.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import { loadIni } from "./helpers/config.js";

cleanupEachTest();

const OS_ENV = {
  PATH: "/usr/bin:/usr/local/bin",
  SHELL: "/bin/zsh",
  USER: "alice",
  HOME: "/home/a",
};

const load = (text: string, env: Record<string, string> = OS_ENV) => loadIni(text, {}, env);

function watcher(config: CircusConfig, name: string): WatcherConfig {
  const found = config.watchers.find((w) => w.name === name);
  assert.ok(found, `watcher ${name} missing`);
  return found;
}

test("seed: [env] propagates to all watchers", () => {
  const { config } = load(`
[watcher:worker1]
cmd = ping 127.0.0.1

[watcher:worker2]
cmd = ping 127.0.0.1

[env]
CAKE = lie
`);
  assert.deepEqual(watcher(config, "worker1").env, { CAKE: "lie" });
  assert.deepEqual(watcher(config, "worker2").env, { CAKE: "lie" });
});

test("seed: env sections combine in file order; $PATH comes from circusd's environment", () => {
  const { config } = load(`
[watcher:worker1]
cmd = ping 127.0.0.1

[watcher:worker2]
cmd = ping 127.0.0.1

[env:worker1,worker2]
PATH = /bin

[env:worker1]
PATH = $PATH

[env:worker2]
CAKE = lie
`);
  assert.deepEqual(watcher(config, "worker1").env, { PATH: OS_ENV.PATH });
  assert.deepEqual(watcher(config, "worker2").env, { PATH: "/bin", CAKE: "lie" });
});

test("seed: wildcards in env section names", () => {
  const { config } = load(`
[watcher:worker1]
cmd = ping 127.0.0.1

[watcher:worker2]
cmd = ping 127.0.0.1

[watcher:other]
cmd = ping 127.0.0.1

[env:worker*]
PATH = /bin
`);
  assert.deepEqual(watcher(config, "worker1").env, { PATH: "/bin" });
  assert.deepEqual(watcher(config, "worker2").env, { PATH: "/bin" });
  assert.deepEqual(watcher(config, "other").env, {});
});

test("Circus's env_section.ini: patterns, lists, [env] and [env:*]", () => {
  const { config } = load(`
[watcher:watcher1]
cmd = boo

[watcher:watcher2]
cmd = boo

[env:watcher1]
CAKE = lie

[env:watcher2]
LIE = cake

[env:watcher1, watcher2]
PATH = $PATH:/bin

[env]
TEST1 = test1

[env:wat*]
TEST2 = test2

[env:*]
TEST3 = test3
`);
  const w1 = watcher(config, "watcher1").env;
  const w2 = watcher(config, "watcher2").env;
  assert.equal(w1.CAKE, "lie");
  assert.equal(w2.LIE, "cake");
  assert.equal(w1.LIE, undefined);
  for (const env of [w1, w2]) {
    assert.equal(env.PATH, `${OS_ENV.PATH}:/bin`);
    assert.equal(env.TEST1, "test1");
    assert.equal(env.TEST2, "test2");
    assert.equal(env.TEST3, "test3");
  }
});

test("env keys keep their case", () => {
  const { config } = load(`
[watcher:webapp]
cmd = curl

[env:webapp]
http_proxy = http://localhost:8080
HTTPS_PROXY = http://localhost:8043
FunKy_soUl = scorpio
`);
  assert.deepEqual(watcher(config, "webapp").env, {
    http_proxy: "http://localhost:8080",
    HTTPS_PROXY: "http://localhost:8043",
    FunKy_soUl: "scorpio",
  });
});

test("a later [env:...] section overrides an earlier one; [env:X] always overrides [env]", () => {
  const { config } = load(`
[watcher:w]
cmd = x

[env:w]
A = specific
B = first

[env:*]
B = second

[env]
A = general
C = general
`);
  assert.deepEqual(watcher(config, "w").env, { A: "specific", B: "second", C: "general" });
});

test("$VAR and ${VAR} see earlier keys and sections, then circusd's environment", () => {
  const { config, warnings } = load(`
[watcher:w]
cmd = x

[env]
BASE = /opt/app

[env:w]
BIN = $BASE/bin
LIB = \${BASE}/lib:\${HOME}
BOTH = $BIN:$LIB
USERNAME = $USER
MISSING = [$NOPE]
DOLLAR = cost: $5 and $(circus.wid) and a lone $
`);
  const env = watcher(config, "w").env;
  assert.equal(env.BIN, "/opt/app/bin");
  assert.equal(env.LIB, "/opt/app/lib:/home/a");
  assert.equal(env.BOTH, "/opt/app/bin:/opt/app/lib:/home/a");
  assert.equal(env.USERNAME, "alice");
  assert.equal(env.MISSING, "[]");
  assert.equal(env.DOLLAR, "cost: $5 and $(circus.wid) and a lone $");
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /circus\.ini:\d+: \[env:w\] MISSING: \$NOPE is not set; it expands to ""$/,
  );
});

test("a variable named in its own value reads circusd's value, else the earlier one", () => {
  const { config } = load(`
[watcher:w]
cmd = x

[env]
PATH = /opt/bin
EXTRA = one

[env:w]
PATH = $PATH:/sbin
EXTRA = $EXTRA,two
`);
  assert.deepEqual(watcher(config, "w").env, {
    PATH: `${OS_ENV.PATH}:/sbin`,
    EXTRA: "one,two",
  });
});

test("seed 'Using environment variables': $(circus.env.X) in every kind of section", () => {
  const { config } = load(
    `
[watcher:worker1]
cmd = $(circus.env.shell)

[watcher:worker2]
cmd = run
baz = $(circus.env.user)
bar = $(circus.env.yeah)
sup = $(circus.env.oh)

[socket:socket1]
port = $(circus.env.port)

[plugin:plugin1]
use = some.path
parameter1 = $(circus.env.plugin_param)

[env]
yeah = boo

[env:worker2]
oh = ok
`,
    { ...OS_ENV, PORT: "9999", PLUGIN_PARAM: "plop" },
  );
  assert.equal(watcher(config, "worker1").cmd, "/bin/zsh");
  assert.deepEqual(watcher(config, "worker2").options, { baz: "alice", bar: "boo", sup: "ok" });
  assert.equal(config.sockets[0]?.port, 9999);
  assert.deepEqual(config.plugins[0]?.config, { parameter1: "plop" });
});

test("$(circus.env.X) precedence: [env:watcher] over [env] over circusd's environment", () => {
  const { config } = load(
    `
[circus]
endpoint = tcp://127.0.0.1:$(circus.env.port)

[watcher:special]
cmd = run $(circus.env.x) $(circus.env.y) $(circus.env.z)

[watcher:plain]
cmd = run $(circus.env.x) $(circus.env.y) $(circus.env.z)

[socket:s]
host = $(circus.env.x)

[env:special]
X = from-watcher-env

[env]
X = from-env
Y = from-env
`,
    { X: "from-os", Y: "from-os", Z: "from-os", PORT: "6000" },
  );
  assert.equal(watcher(config, "special").cmd, "run from-watcher-env from-env from-os");
  assert.equal(watcher(config, "plain").cmd, "run from-env from-env from-os");
  assert.equal(config.sockets[0]?.host, "from-env");
  assert.equal(config.circus.endpoint, "tcp://127.0.0.1:6000");
});

test("$(circus.env.X) is case-insensitive, also as ((circus.env.X)), and works in env values", () => {
  const { config } = load(
    `
[watcher:w]
cmd = prog
args = $(CIRCUS.ENV.VAR) $(Circus.Env.shell) ((circus.env.var))
stdout_stream.filename = $(circus.env.home)/out.log
hooks.after_start = $(circus.env.home)/hooks.js:after

[env:w]
DATA = $(circus.env.home)/data
`,
    { ...OS_ENV, VAR: "v" },
  );
  const w = watcher(config, "w");
  assert.equal(w.args, "v /bin/zsh v");
  assert.equal(w.stdoutStream?.options.filename, "/home/a/out.log");
  assert.equal(w.hooks.after_start?.ref, "/home/a/hooks.js:after");
  assert.equal(w.env.DATA, "/home/a/data");
});

test("other $(circus.X) forms are left for the spawner; unknown env vars are kept and warned", () => {
  const { config, warnings, file } = load(`
[watcher:w]
cmd = prog --fd $(circus.sockets.web) --wid $(circus.wid) ((circus.wid)) $(circus.foo)
args = $(circus.env.nope)
`);
  const w = watcher(config, "w");
  assert.equal(
    w.cmd,
    "prog --fd $(circus.sockets.web) --wid $(circus.wid) ((circus.wid)) $(circus.foo)",
  );
  assert.equal(w.args, "$(circus.env.nope)");
  assert.deepEqual(warnings, [
    `${file}:4: [watcher:w] args: unknown variable $(circus.env.nope) left as is`,
  ]);
});

test("an [env:NAME] that names no watcher warns; a wildcard matching nothing does not", () => {
  const { warnings, file } = load(`
[watcher:worker]
cmd = x

[env:wroker]
A = 1

[env:nothing*]
B = 2
`);
  assert.deepEqual(warnings, [`${file}:5: [env:wroker] no watcher named "wroker"`]);
});

test("[env:] without a watcher name is an error", () => {
  assert.throws(
    () => load("[env:]\nA = 1\n"),
    (error) =>
      error instanceof ConfigError &&
      error.section === "env:" &&
      error.line === 1 &&
      /at least one/.test(error.message),
  );
});

test("helpers: lookupEnv layers, substituteCircusEnv, expandEnvVars", () => {
  const layers = [{ Path: "specific" }, { PATH: "os", path: "lower" }];
  assert.equal(lookupEnv("PATH", layers), "specific");
  assert.equal(lookupEnv("path", [{ PATH: "os", path: "lower" }]), "lower");
  assert.equal(lookupEnv("constructor", [{}]), undefined);
  assert.equal(substituteCircusEnv("a $(circus.env.path) b", layers), "a specific b");
  const unknown: string[] = [];
  assert.equal(
    substituteCircusEnv("$(circus.env.none)", layers, (name) => unknown.push(name)),
    "$(circus.env.none)",
  );
  assert.deepEqual(unknown, ["none"]);
  assert.equal(
    expandEnvVars("$A-${A}_$toString", (n) => (n === "A" ? "1" : undefined)),
    "1-1_",
  );
});
