/**
 * JSON as Python's `json` module reads and writes it, so that floats stay floats across the
 * wire (`"graceful_timeout": 30.0` reaches a Python client as a float, and circusctl prints
 * `30.0` as Circus's does).
 */
import { randomBytes } from "node:crypto";
import { parse } from "lossless-json";
import { numberText, PyFloat, pyFloatRepr } from "./repr.js";

/** A JSON number literal that Python reads as a float. */
function isFloatLiteral(text: string): boolean {
  return /[.eE]/.test(text);
}

/**
 * Parses JSON text as Python's `json.loads` would type it: float literals (`2.0`, `1e-05`)
 * become {@link PyFloat}, integer literals numbers.
 */
export function parsePythonJson(text: string): unknown {
  return parse(text, null, (literal) =>
    isFloatLiteral(literal) ? new PyFloat(Number(literal)) : Number(literal),
  );
}

/** A float in Python's JSON: its repr, but `NaN` and `Infinity` as json.dumps spells them. */
function floatLiteral(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return pyFloatRepr(x);
}

function numberJson(x: number): string {
  return Number.isFinite(x) ? numberText(x) : floatLiteral(x);
}

function encodeString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Python's `json.dumps(value)` or, with `pretty`, `json.dumps(value, indent=2,
 * sort_keys=True)`: `", "` and `": "` separators on one line, non-ASCII characters escaped
 * (`ensure_ascii`), {@link PyFloat} written as a float.
 */
export function pythonJson(value: unknown, pretty = false): string {
  return encode(value, pretty, "");
}

function encode(value: unknown, pretty: boolean, indent: string): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return encodeString(value);
  if (value instanceof PyFloat) return floatLiteral(value.value);
  if (typeof value === "number") return numberJson(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => encode(v, pretty, inner));
    return pretty ? `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]` : `[${items.join(", ")}]`;
  }
  if (typeof value === "object") {
    let keys = Object.keys(value).filter(
      (k) => (value as Record<string, unknown>)[k] !== undefined,
    );
    if (keys.length === 0) return "{}";
    if (pretty) keys = keys.sort();
    const items = keys.map(
      (k) => `${encodeString(k)}: ${encode((value as Record<string, unknown>)[k], pretty, inner)}`,
    );
    return pretty ? `{\n${inner}${items.join(`,\n${inner}`)}\n${indent}}` : `{${items.join(", ")}}`;
  }
  return encodeString(String(value));
}

// A per-process nonce: a string from a user (an option, an output line) cannot carry the mark.
const NONCE = randomBytes(6).toString("hex");
const FLOAT_MARK = `\u0000float${NONCE}:`;
const MARKED = new RegExp(`"\\\\u0000float${NONCE}:([^"]*)"`, "g");

/**
 * Compact JSON for the wire (replies, events): `JSON.stringify`'s speed, with every
 * {@link PyFloat} written as a float literal (marked as a string by its toJSON, then unquoted).
 */
export function wireJson(value: unknown): string {
  PyFloat.encodeJson = (x) => FLOAT_MARK + floatLiteral(x);
  let text: string;
  try {
    text = JSON.stringify(value);
  } finally {
    PyFloat.encodeJson = null;
  }
  return text.includes(`\\u0000float${NONCE}:`) ? text.replace(MARKED, "$1") : text;
}
