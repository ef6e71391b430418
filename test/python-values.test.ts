/**
 * Python's text of values (src/python/): what circusctl prints and what goes on the wire must
 * be what Python prints, floats included. Checked against the real python3.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { parsePythonJson, pythonJson, wireJson } from "../src/python/json.js";
import { float, PyFloat, pyFloatRepr, pyRepr, pyStr } from "../src/python/repr.js";

/** Runs python3 on a script that prints one line per value of `values` (as JSON). */
function python(script: string, values: unknown[]): string[] {
  const run = spawnSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(values),
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trimEnd().split("\n");
}

const FLOATS = [0, -0, 1, 2.5, 30, 1e-5, 0.0001, 1.5e-7, 123456789012345680, 1e16, 1e22, 0.1 + 0.2];

describe("Python floats", () => {
  test("repr(float) as python3 prints it", () => {
    const expected = python(
      "import json,sys\nfor x in json.load(sys.stdin): print(repr(float(x)))",
      FLOATS,
    );
    assert.deepEqual(
      FLOATS.map((x) => pyFloatRepr(x)),
      expected.map((line, i) => (Object.is(FLOATS[i], -0) ? "-0.0" : line)),
    );
  });

  test("a PyFloat prints and encodes as a float; a whole JS number as an int", () => {
    assert.equal(String(float(2)), "2.0");
    assert.equal(pythonJson({ a: float(2), b: 2, c: 2.5 }), '{"a": 2.0, "b": 2, "c": 2.5}');
    assert.equal(wireJson({ a: float(2), b: [float(0)], c: 3 }), '{"a":2.0,"b":[0.0],"c":3}');
    assert.equal(JSON.stringify({ a: float(2) }), '{"a":2}');
    assert.equal(float(2).valueOf() + 1, 3);
  });

  test("parsePythonJson keeps floats floats", () => {
    const value = parsePythonJson('{"t": 30.0, "n": 30, "e": 1e-05, "s": "1.0"}') as Record<
      string,
      unknown
    >;
    assert.ok(value.t instanceof PyFloat);
    assert.equal(value.n, 30);
    assert.ok(value.e instanceof PyFloat);
    assert.equal(value.s, "1.0");
    assert.equal(pythonJson(value), '{"t": 30.0, "n": 30, "e": 1e-05, "s": "1.0"}');
  });
});

describe("Python-style JSON", () => {
  test("json.dumps separators on one line; indent 2 and sorted keys when pretty", () => {
    const value = { b: [1, 2.5, "x"], a: { z: null, y: true }, e: [], f: {} };
    assert.equal(
      pythonJson(value),
      '{"b": [1, 2.5, "x"], "a": {"z": null, "y": true}, "e": [], "f": {}}',
    );
    assert.equal(
      pythonJson(value, true),
      '{\n  "a": {\n    "y": true,\n    "z": null\n  },\n  "b": [\n    1,\n    2.5,\n    "x"\n  ],\n  "e": [],\n  "f": {}\n}',
    );
  });

  test("the same text as python3's json.dumps, non-ASCII escaped", () => {
    const value = { s: "é€😀\n", l: [1, 2.5, null, true], d: { k: "v" } };
    const [expected] = python("import json,sys\nprint(json.dumps(json.load(sys.stdin)[0]))", [
      value,
    ]);
    assert.equal(pythonJson(value), expected);
  });
});

describe("Python's str() and repr()", () => {
  test("as python3 prints them", () => {
    const values = [
      "it's",
      'say "hi"',
      "both ' and \"",
      "tab\there",
      null,
      true,
      [1, "a"],
      { k: [null] },
    ];
    const expected = python(
      "import json,sys\nfor v in json.load(sys.stdin): print(repr(v))",
      values,
    );
    assert.deepEqual(values.map(pyRepr), expected);
    assert.equal(pyStr("text"), "text");
    assert.equal(pyStr(null), "None");
    assert.equal(pyStr(false), "False");
  });

  test("pyRepr: deep nesting is cut at 100 levels, never a stack overflow", () => {
    const deep = JSON.parse("[".repeat(20_000) + "]".repeat(20_000)) as unknown;
    const text = pyRepr(deep);
    assert.equal(text, "[".repeat(100) + "[...]" + "]".repeat(100));
    const inDict = pyRepr({ a: JSON.parse("[".repeat(200) + "]".repeat(200)) });
    assert.equal(inDict, "{'a': " + "[".repeat(99) + "[...]" + "]".repeat(99) + "}");
  });
});
