import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { CIRCUS_DEFAULTS, SOCKET_DEFAULTS, WATCHER_DEFAULTS } from "../src/config/defaults.js";
import { ConfigError } from "../src/config/errors.js";
import { loadConfig } from "../src/config/load.js";
import type { CircusConfig, WatcherConfig } from "../src/config/types.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import { folder, loadIni } from "./helpers/config.js";

cleanupEachTest();

/** Assert that loading fails with a ConfigError at the given place. */
function loadError(
  text: string,
  where: { file?: string; line?: number; section?: string; option?: string; detail: RegExp },
  extra: Record<string, string> = {},
): ConfigError {
  const dir = folder({ "circus.ini": text, ...extra });
  const file = join(dir, where.file ?? "circus.ini");
  try {
    loadConfig(join(dir, "circus.ini"), { env: {}, warn: () => {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    assert.equal(error.file, file, error.message);
    assert.equal(error.section, where.section, error.message);
    assert.equal(error.option, where.option, error.message);
    if (where.line !== undefined) assert.equal(error.line, where.line, error.message);
    assert.match(error.detail, where.detail);
    const prefix =
      `${file}${error.line === undefined ? "" : `:${error.line}`}: ` +
      (where.section === undefined ? "" : `[${where.section}] `) +
      (where.option === undefined ? "" : `${where.option}: `);
    assert.equal(error.message, prefix + error.detail);
    assert.ok(!error.message.includes("\n"));
    return error;
  }
  assert.fail("expected a ConfigError");
}

function only(config: CircusConfig): WatcherConfig {
  assert.equal(config.watchers.length, 1);
  return config.watchers[0]!;
}

test("an empty file gives the [circus] defaults and nothing to run", () => {
  const { config, file, warnings } = loadIni("");
  assert.deepEqual(config, {
    file,
    circus: CIRCUS_DEFAULTS,
    watchers: [],
    sockets: [],
    plugins: [],
  });
  assert.deepEqual(warnings, []);
});

test("[circus] options are typed", () => {
  const { config, file, warnings } = loadIni(`
[circus]
endpoint = tcp://0.0.0.0:7555
endpoint_owner = nobody
pubsub_endpoint = tcp://0.0.0.0:7556
papa_endpoint = ipc:///tmp/papa.sock
statsd = True
stats_endpoint = tcp://0.0.0.0:7557
statsd_close_outputs = yes
multicast_endpoint = udp://239.1.2.3:4567
check_delay = 2.5
stream_backend = gevent
warmup_delay = 0.5
httpd = on
httpd_host = 0.0.0.0
httpd_port = 9090
httpd_close_outputs = 1
debug = true
debug_gc = TRUE
fqdn_prefix = web1
pidfile = /run/circusd.pid
umask = 027
loglevel = DEBUG
logoutput = /var/log/circus.log
loggerconfig = default
metrics = yes
metrics_host = 0.0.0.0
metrics_port = 9123
container = yes
health_host = 0.0.0.0
health_port = 8081
httpd_users = /etc/circus/users
custom_thing = kept
`);
  assert.deepEqual(config.circus, {
    endpoint: "tcp://0.0.0.0:7555",
    endpointOwner: "nobody",
    pubsubEndpoint: "tcp://0.0.0.0:7556",
    papaEndpoint: "ipc:///tmp/papa.sock",
    statsd: true,
    statsEndpoint: "tcp://0.0.0.0:7557",
    statsdCloseOutputs: true,
    multicastEndpoint: "udp://239.1.2.3:4567",
    checkDelay: 2.5,
    streamBackend: "gevent",
    warmupDelay: 0.5,
    httpd: true,
    httpdHost: "0.0.0.0",
    httpdPort: 9090,
    httpdCloseOutputs: true,
    httpdUsers: "/etc/circus/users",
    debug: true,
    debugGc: true,
    fqdnPrefix: "web1",
    pidfile: "/run/circusd.pid",
    umask: 0o27,
    loglevel: "DEBUG",
    logoutput: "/var/log/circus.log",
    loggerconfig: "default",
    metrics: true,
    metricsHost: "0.0.0.0",
    metricsPort: 9123,
    curveSecretKey: null,
    curveClients: null,
    container: true,
    healthPort: 8081,
    healthHost: "0.0.0.0",
    options: { custom_thing: "kept" },
    source: { file, section: "circus" },
  });
  assert.deepEqual(warnings, [
    `${file}:12: [circus] stream_backend: gevent is Python's; streams here work as with thread`,
    `${file}:20: [circus] fqdn_prefix: has no effect (in Circus 0.19 neither: nothing reads it)`,
  ]);
});

test("[circus] umask: 0o form, and empty means unset", () => {
  assert.equal(loadIni("[circus]\numask = 0o22\n").config.circus.umask, 0o22);
  assert.equal(loadIni("[circus]\numask =\n").config.circus.umask, null);
});

test("[circus] httpd_users: circushttpd's users file, none by default or when empty", () => {
  assert.equal(loadIni("").config.circus.httpdUsers, null);
  assert.equal(loadIni("[circus]\nhttpd_users =\n").config.circus.httpdUsers, null);
  const { config } = loadIni("[circus]\nhttpd = true\nhttpd_users = users.txt\n");
  assert.equal(config.circus.httpdUsers, "users.txt");
});

test("a minimal watcher gets every default", () => {
  const { config, file, dir } = loadIni("[watcher:web]\ncmd = node server.js\n");
  assert.deepEqual(only(config), {
    ...WATCHER_DEFAULTS,
    name: "web",
    cmd: "node server.js",
    baseDir: dir,
    source: { file, section: "watcher:web" },
  });
});

test("every watcher option is typed", () => {
  const { config, warnings } = loadIni(`
[watcher:web]
cmd = node
args = server.js --port 80
shell = true
shell_args = -l
executable = /usr/bin/node
working_dir = /srv/web
uid = 1000
gid = www-data
copy_env = yes
copy_path = on
warmup_delay = 0.25
autostart = false
numprocesses = 4
rlimit_nofile = 500
RLIMIT_CORE =
rlimit_as = -1
stdin_socket = web
close_child_stdin = false
close_child_stdout = true
close_child_stderr = 1
send_hup = true
stop_signal = quit
stop_children = true
max_retry = -1
graceful_timeout = 2.5
priority = -3
singleton = false
use_sockets = true
max_age = 3600
max_age_variance = 0.5
on_demand = true
hooks.before_start = hooks.js:beforeStart
hooks.after_stop = ./hooks.js:afterStop, true
hooks.before_signal = hooks.js:beforeSignal , False
stdout_stream.class = TimedRotatingFileStream
stdout_stream.filename = out.log
stdout_stream.rotate_when = H
stderr_stream.filename = err.log
virtualenv = /srv/venv
virtualenv_py_ver = 3.11
respawn = false
use_papa = true
essential = true
readiness = http://127.0.0.1:80$(circus.wid)/health
readiness_interval = 0.5
readiness_timeout = 2
readiness_failures = 4
readiness_deadline = 30
reload_batch = 2
depends_on = db, Cache
check_flapping = false
flapping.attempts = 3
`);
  const w = only(config);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    { ...w, baseDir: undefined, source: undefined },
    {
      name: "web",
      cmd: "node",
      args: "server.js --port 80",
      shell: true,
      shellArgs: "-l",
      executable: "/usr/bin/node",
      workingDir: "/srv/web",
      uid: 1000,
      gid: "www-data",
      copyEnv: true,
      copyPath: true,
      env: {},
      warmupDelay: 0.25,
      autostart: false,
      numprocesses: 4,
      rlimits: { nofile: 500, core: null, as: null },
      stdoutStream: {
        class: "TimedRotatingFileStream",
        options: { filename: "out.log", rotate_when: "H" },
      },
      stderrStream: { class: "FileStream", options: { filename: "err.log" } },
      stdinSocket: "web",
      closeChildStdin: false,
      closeChildStdout: true,
      closeChildStderr: true,
      sendHup: true,
      stopSignal: 3,
      stopChildren: true,
      maxRetry: -1,
      gracefulTimeout: 2.5,
      priority: -3,
      singleton: false,
      useSockets: true,
      maxAge: 3600,
      maxAgeVariance: 0.5,
      onDemand: true,
      hooks: {
        before_start: { ref: "hooks.js:beforeStart", ignoreErrors: false },
        after_stop: { ref: "./hooks.js:afterStop", ignoreErrors: true },
        before_signal: { ref: "hooks.js:beforeSignal", ignoreErrors: false },
      },
      virtualenv: "/srv/venv",
      virtualenvPyVer: "3.11",
      respawn: false,
      usePapa: true,
      essential: true,
      readiness: "http://127.0.0.1:80$(circus.wid)/health",
      readinessInterval: 0.5,
      readinessTimeout: 2,
      readinessFailures: 4,
      readinessDeadline: 30,
      reloadBatch: 2,
      dependsOn: ["db", "cache"],
      options: { check_flapping: "false", "flapping.attempts": "3" },
      baseDir: undefined,
      source: undefined,
    },
  );
});

test("stop_signal accepts names and numbers; uid/gid numbers and names", () => {
  const { config } = loadIni(`
[watcher:a]
cmd = x
stop_signal = SIGINT
uid = www-data
gid = 33

[watcher:b]
cmd = x
stop_signal = 9
`);
  const [a, b] = config.watchers;
  assert.equal(a?.stopSignal, 2);
  assert.equal(a?.uid, "www-data");
  assert.equal(a?.gid, 33);
  assert.equal(b?.stopSignal, 9);
});

test("singleton forces numprocesses to 1 (with a warning when more were asked)", () => {
  const { config, warnings, file } = loadIni(`
[watcher:one]
cmd = x
singleton = true
numprocesses = 3

[watcher:zero]
cmd = x
singleton = true
numprocesses = 0

[watcher:plain]
cmd = x
singleton = true
`);
  const byName = Object.fromEntries(config.watchers.map((w) => [w.name, w.numprocesses]));
  assert.deepEqual(byName, { one: 1, zero: 0, plain: 1 });
  assert.deepEqual(warnings, [
    `${file}:5: [watcher:one] numprocesses: singleton watchers run at most one process; using 1`,
  ]);
});

test("watcher errors name file, line, section and option", () => {
  const cases: Array<[string, RegExp]> = [
    ["numprocesses = five", /^expected an integer, got "five"$/],
    ["numprocesses = -1", /^must not be negative, got "-1"$/],
    ["numprocesses = 1.5", /expected an integer/],
    ["max_retry = -2", /must be >= -1/],
    ["priority = high", /expected an integer/],
    ["warmup_delay = soon", /expected a number/],
    ["graceful_timeout = -1", /must not be negative/],
    ["max_age = forever", /expected a number/],
    ["max_age_variance = x", /expected a number/],
    ["shell = maybe", /expected a boolean/],
    ["autostart = 2", /expected a boolean/],
    ["stop_signal = SIGWHAT", /^unknown signal "SIGWHAT"$/],
    ["rlimit_nofile = lots", /expected an integer/],
    ["rlimit_nofiles = 10", /unknown resource limit "nofiles"; did you mean "rlimit_nofile"\?/],
    ["rlimit_zzzzzzzz = 10", /unknown resource limit "zzzzzzzz"; expected one of as, core/],
    [
      "hooks.before_strat = a.js:f",
      /unknown hook "before_strat"; did you mean "hooks.before_start"\?/,
    ],
    ["hooks.whenever = a.js:f", /unknown hook "whenever"; expected one of before_start/],
    ["hooks.after_start = , true", /expected "module-path:export\[, true\|false\]"/],
    ["hooks.after_start = a.js:f, sometimes", /expected a boolean/],
    ["hooks. = a.js:f", /expected hooks.<name> = value/],
    ["stdout_stream = FileStream", /expected stdout_stream.<name> = value/],
  ];
  for (const [line, detail] of cases) {
    const option = line.slice(0, line.indexOf("=")).trim();
    loadError(`[circus]\n\n[watcher:web]\ncmd = x\n${line}\n`, {
      line: 5,
      section: "watcher:web",
      option,
      detail,
    });
  }
});

test("a watcher without cmd is an error at its section header", () => {
  loadError("[watcher:web]\nnumprocesses = 2\n", {
    line: 1,
    section: "watcher:web",
    option: "cmd",
    detail: /missing required option/,
  });
  loadError("[watcher:web]\ncmd =\n", {
    line: 2,
    section: "watcher:web",
    option: "cmd",
    detail: /missing required option/,
  });
});

test("a section of another type is an error naming it", () => {
  for (const name of ["foo", "program:x", "Watcher:x", "DEFAULT", "circus:extra"]) {
    loadError(`[circus]\n[${name}]\na = 1\n`, {
      line: 2,
      section: name,
      detail: /unknown section/,
    });
  }
  loadError("[watcher:]\ncmd = x\n", { line: 1, section: "watcher:", detail: /needs a name/ });
});

test("unknown watcher options are kept; likely typos warn with the probable option", () => {
  const { config, warnings, file } = loadIni(`
[watcher:web]
cmd = x
numprocess = 3
graceful_timout = 5
hook.before_start = a.js:f
flapping.attempts = 2
my_plugin_setting = on
env = A=1
`);
  const w = only(config);
  assert.equal(w.numprocesses, 1);
  assert.deepEqual(w.options, {
    numprocess: "3",
    graceful_timout: "5",
    "hook.before_start": "a.js:f",
    "flapping.attempts": "2",
    my_plugin_setting: "on",
    env: "A=1",
  });
  assert.deepEqual(warnings, [
    `${file}:4: [watcher:web] numprocess: unknown option kept for plugins; did you mean "numprocesses"?`,
    `${file}:5: [watcher:web] graceful_timout: unknown option kept for plugins; did you mean "graceful_timeout"?`,
    `${file}:6: [watcher:web] hook.before_start: unknown option kept for plugins; did you mean "hooks.before_start"?`,
    `${file}:9: [watcher:web] env: not a watcher option (kept for plugins); use an [env:web] section`,
  ]);
});

test("[circus] typos warn too", () => {
  const { warnings, file } = loadIni("[circus]\ncheck_dealy = 5\n");
  assert.deepEqual(warnings, [
    `${file}:2: [circus] check_dealy: unknown option kept; did you mean "check_delay"?`,
  ]);
});

test("[circus] errors name the option", () => {
  loadError("[circus]\ncheck_delay = often\n", {
    line: 2,
    section: "circus",
    option: "check_delay",
    detail: /expected a number/,
  });
  loadError("[circus]\nhttpd_port = 70000\n", {
    section: "circus",
    option: "httpd_port",
    detail: /must be <= 65535/,
  });
  loadError("[circus]\numask = 999\n", { section: "circus", option: "umask", detail: /octal/ });
  loadError("[circus]\nstatsd = sure\n", {
    section: "circus",
    option: "statsd",
    detail: /boolean/,
  });
  loadError("[circus]\nstats_endpoint = tcpx://nowhere\n", {
    section: "circus",
    option: "stats_endpoint",
    detail: /expected tcp:\/\/HOST:PORT or ipc:\/\/PATH, got "tcpx:\/\/nowhere"/,
  });
  loadError("[circus]\nendpoint = tcp://127.0.0.1:99999\n", {
    section: "circus",
    option: "endpoint",
    detail: /port up to 65535/,
  });
  for (const good of [
    "tcp://*:5555",
    "tcp://[::1]:5555",
    "tcp://host.example:*",
    "ipc:///run/c.sock",
  ])
    assert.equal(
      loadIni(`[circus]\npubsub_endpoint = ${good}\n`).config.circus.pubsubEndpoint,
      good,
    );
});

test("sockets: defaults, typed options, lower-cased name", () => {
  const { config, file } = loadIni(`
[socket:Web]
host = 0.0.0.0
port = 8888
family = af_inet6
type = SOCK_DGRAM
interface = eth0
replace = true
so_reuseport = yes
blocking = on
backlog = 128
use_papa = false

[socket:plain]
port = 9000
`);
  assert.deepEqual(config.sockets, [
    { ...SOCKET_DEFAULTS, name: "plain", port: 9000, source: { file, section: "socket:plain" } },
    {
      ...SOCKET_DEFAULTS,
      name: "web",
      host: "0.0.0.0",
      port: 8888,
      family: "AF_INET6",
      type: "SOCK_DGRAM",
      interface: "eth0",
      replace: true,
      soReuseport: true,
      blocking: true,
      backlog: 128,
      usePapa: false,
      source: { file, section: "socket:Web" },
    },
  ]);
});

test("a socket path forces AF_UNIX; umask is octal", () => {
  const { config, warnings, file } = loadIni(`
[socket:a]
path = /tmp/a.sock
umask = 000

[socket:b]
path = /tmp/b.sock
family = AF_INET
`);
  const [a, b] = config.sockets;
  assert.equal(a?.family, "AF_UNIX");
  assert.equal(a?.path, "/tmp/a.sock");
  assert.equal(a?.umask, 0);
  assert.equal(b?.family, "AF_UNIX");
  assert.deepEqual(warnings, [
    `${file}:8: [socket:b] family: ignored: a socket with a path is always AF_UNIX`,
  ]);
});

test("socket errors and unknown socket options", () => {
  loadError("[socket:s]\nport = http\n", {
    line: 2,
    section: "socket:s",
    option: "port",
    detail: /expected an integer/,
  });
  loadError("[socket:s]\nfamily = AF_APPLETALK\n", {
    section: "socket:s",
    option: "family",
    detail: /expected one of AF_UNIX, AF_INET, AF_INET6, got "AF_APPLETALK"/,
  });
  loadError("[socket:s]\ntype = SOCK_FUNKY\n", {
    section: "socket:s",
    option: "type",
    detail: /expected one of SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET/,
  });
  loadError("[socket:s]\nbacklog = -5\n", {
    section: "socket:s",
    option: "backlog",
    detail: /negative/,
  });
  loadError("[socket:s]\nport = 1\n[socket:S]\nport = 2\n", {
    section: "socket:S",
    detail: /name "s" is already used by \[socket:s\]/,
  });
  const { warnings, file } = loadIni("[socket:s]\nprot = 1\nfoo = bar\n");
  assert.deepEqual(warnings, [
    `${file}:2: [socket:s] prot: unknown option ignored; did you mean "port"?`,
    `${file}:3: [socket:s] foo: unknown socket option ignored`,
  ]);
});

test("plugins: use is required, the rest is kept raw", () => {
  const { config, file } = loadIni(`
[plugin:statsd]
use = circus.plugins.statsd.StatsdEmitter
host = localhost
port = 8125
sample_rate = 1.0
application_name = example
`);
  const [plugin] = config.plugins;
  assert.ok(plugin);
  const { watcher, ...rest } = plugin;
  assert.deepEqual(rest, {
    name: "statsd",
    use: "circus.plugins.statsd.StatsdEmitter",
    config: { host: "localhost", port: "8125", sample_rate: "1.0", application_name: "example" },
    active: true,
    source: { file, section: "plugin:statsd" },
  });
  // The watcher that runs it, with Circus's plugin defaults.
  assert.equal(watcher.name, "plugin:statsd");
  assert.deepEqual([watcher.priority, watcher.singleton, watcher.copyEnv], [1, true, true]);
  loadError("[plugin:p]\nhost = x\n", {
    line: 1,
    section: "plugin:p",
    option: "use",
    detail: /missing required option/,
  });
});

test("empty watcher/socket/plugin sections are skipped with a warning", () => {
  const { config, warnings, file } = loadIni("[watcher:a]\n[socket:b]\n[plugin:c]\n[circus]\n");
  assert.deepEqual([config.watchers, config.sockets, config.plugins], [[], [], []]);
  assert.deepEqual(warnings, [
    `${file}:1: [watcher:a] empty section ignored`,
    `${file}:2: [socket:b] empty section ignored`,
    `${file}:3: [plugin:c] empty section ignored`,
  ]);
});

test("watchers, sockets and plugins come sorted by name", () => {
  const { config } = loadIni(`
[watcher:zeta]
cmd = x
[watcher:alpha]
cmd = x
[watcher:Mid]
cmd = x
[socket:z]
port = 1
[socket:a]
port = 2
[plugin:z]
use = z
[plugin:a]
use = a
`);
  assert.deepEqual(
    config.watchers.map((w) => w.name),
    ["Mid", "alpha", "zeta"],
  );
  assert.deepEqual(
    config.sockets.map((s) => s.name),
    ["a", "z"],
  );
  assert.deepEqual(
    config.plugins.map((p) => p.name),
    ["a", "z"],
  );
});

test("a relative path is resolved; baseDir is the config file's folder", () => {
  const dir = folder({ "sub/circus.ini": "[watcher:w]\ncmd = x\n" });
  const file = join(dir, "sub", "circus.ini");
  const config = loadConfig(relative(process.cwd(), file), { env: {} });
  assert.equal(config.file, file);
  assert.equal(config.watchers[0]?.baseDir, join(dir, "sub"));
});

test("syntax errors from the file come out as ConfigError", () => {
  loadError("[watcher:w]\ncmd = x\nnonsense\n", { line: 3, detail: /syntax error/ });
  assert.throws(() => loadConfig("/nonexistent/dir/circus.ini"), ConfigError);
});

test("the reference's main example with include and include_dir (fixture)", () => {
  const file = join(import.meta.dirname, "fixtures", "config", "seed", "circus.ini");
  const fixtures = dirname(file);
  const warnings: string[] = [];
  const config = loadConfig(file, {
    env: { PATH: "/usr/bin", VAR: "value" },
    warn: (message) => warnings.push(message),
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    config.watchers.map((w) => [w.name, w.source?.file]),
    [
      ["extra", join(fixtures, "extra.more.config.ini")],
      ["myprogram", file],
      ["worker", join(fixtures, "more", "worker.ini")],
    ],
  );
  const my = config.watchers[1]!;
  assert.equal(my.args, "-u myprogram.py $(circus.wid) value");
  assert.equal(my.numprocesses, 5);
  assert.equal(my.warmupDelay, 0);
  assert.deepEqual(my.hooks, {
    before_start: { ref: "my.hooks.control_redis", ignoreErrors: false },
  });
  assert.deepEqual(my.stdoutStream, {
    class: "FileStream",
    options: { filename: "test.log", max_bytes: "1073741824", backup_count: "5" },
  });
  assert.deepEqual(my.env, { PATH: "/usr/bin:/bin", CAKE: "lie" });
  assert.equal(config.circus.umask, 0o2);
  assert.equal(config.circus.checkDelay, 5);
  assert.deepEqual(
    config.sockets.map((s) => [s.name, s.family, s.port, s.path, s.umask]),
    [
      ["unix", "AF_UNIX", 8080, "/tmp/circus-test.sock", 0],
      ["web", "AF_INET", 8080, null, null],
    ],
  );
  assert.equal(config.plugins[0]?.use, "circus.plugins.statsd.StatsdEmitter");
  // Every watcher resolves relative paths against the main file's folder.
  for (const w of config.watchers) assert.equal(w.baseDir, fixtures);
});

test("include: globs with * and ? in any component, absolute paths, include_dir", () => {
  const other = folder({ "abs.ini": "[watcher:abs]\ncmd = x\n" });
  const { config, warnings } = loadIni(
    `
[circus]
include = a?.ini
  nested/*/*.ini
  ${join(other, "abs.ini")}
include_dir = conf.d
  $(circus.env.extra_dir)
`,
    {
      "a1.ini": "[watcher:a1]\ncmd = x\n",
      "a22.ini": "[watcher:a22]\ncmd = x\n",
      "nested/one/n.ini": "[watcher:n]\ncmd = x\n",
      "nested/one/.hidden.ini": "[watcher:hidden]\ncmd = x\n",
      "conf.d/c.ini": "[socket:c]\nport = 1\n",
      "conf.d/c.txt": "[socket:txt]\nport = 1\n",
      "extra/e.ini": "[plugin:e]\nuse = e\n",
    },
    { EXTRA_DIR: "extra" },
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    config.watchers.map((w) => w.name),
    ["a1", "abs", "n"],
  );
  assert.deepEqual(
    config.sockets.map((s) => s.name),
    ["c"],
  );
  assert.deepEqual(
    config.plugins.map((p) => p.name),
    ["e"],
  );
});

test("include: a pattern matching nothing warns; the main file is not read twice", () => {
  const { config, warnings, file, dir } = loadIni(
    "[circus]\ninclude = *.ini missing.ini\ninclude_dir = nowhere\n\n[watcher:main]\ncmd = x\n",
    { "b.ini": "[watcher:b]\ncmd = x\n" },
  );
  assert.deepEqual(
    config.watchers.map((w) => w.name),
    ["b", "main"],
  );
  assert.deepEqual(warnings, [
    `${file}:2: [circus] include: "${join(dir, "missing.ini")}" does not lead to any config file (paths are relative to the main config file's folder)`,
    `${file}:3: [circus] include_dir: "${join(dir, "nowhere", "*.ini")}" does not lead to any config file (paths are relative to the main config file's folder)`,
  ]);
});

test("include: a section repeated in an included file is merged as Circus merges it", () => {
  // What Circus 0.19 does (checked with its circusctl options / get): an included file adds
  // options to the main file's sections, [circus] and [env] too, but never changes one.
  const { config, warnings, file, dir } = loadIni(
    `[circus]
include = more.ini

[watcher:web]
cmd = x
numprocesses = 2
graceful_timeout = 7

[env]
A = main
B = mainb
`,
    {
      "more.ini": `[circus]
check_delay = 3
include_dir = elsewhere

[watcher:web]
cmd = x
numprocesses = 3
max_retry = 9

[env]
A = inc
C = incc
`,
    },
  );
  const more = join(dir, "more.ini");
  const web = only(config);
  assert.deepEqual(
    [web.numprocesses, web.gracefulTimeout, web.maxRetry, web.env],
    [2, 7, 9, { A: "main", B: "mainb", C: "incc" }],
  );
  assert.equal(config.circus.checkDelay, 3);
  // Each option remembers its file, for the errors found after loading.
  assert.deepEqual(web.source, {
    file,
    section: "watcher:web",
    optionFiles: { max_retry: more },
  });
  assert.deepEqual(warnings, [
    `${more}:3: [circus] include_dir: not followed: only the main config file's includes are read (as in Circus)`,
    `${more}:7: [watcher:web] numprocesses: ignored: already set in ${file}:6 (the value read first wins, as in Circus)`,
    `${more}:11: [env] A: ignored: already set in ${file}:10 (the value read first wins, as in Circus)`,
  ]);
});

test("include: a bad value in a merged section names the included file and its line", () => {
  loadError(
    "[circus]\ninclude = more.ini\n\n[watcher:web]\ncmd = x\n",
    {
      file: "more.ini",
      line: 3,
      section: "watcher:web",
      option: "numprocesses",
      detail: /integer/,
    },
    { "more.ini": "# comment\n[watcher:web]\nnumprocesses = many\n" },
  );
});

test("include: errors inside an included file name that file", () => {
  const dir = folder({
    "circus.ini": "[circus]\ninclude = bad.ini\n",
    "bad.ini": "[watcher:w]\ncmd = x\nnumprocesses = many\n",
  });
  assert.throws(
    () => loadConfig(join(dir, "circus.ini"), { env: {} }),
    (error) =>
      error instanceof ConfigError &&
      error.file === join(dir, "bad.ini") &&
      error.line === 3 &&
      error.message ===
        `${join(dir, "bad.ini")}:3: [watcher:w] numprocesses: expected an integer, got "many"`,
  );
});

test("warnings are given once even when env sections are evaluated per watcher", () => {
  const { warnings } = loadIni(`
[watcher:a]
cmd = x
[watcher:b]
cmd = x
[env]
P = $UNSET_VAR
`);
  assert.equal(warnings.length, 1);
});
