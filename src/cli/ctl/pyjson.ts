/**
 * JSON text as Python's `json.dumps` writes it, which is what circusctl's `--json` and
 * `--prettify` print: `", "` and `": "` separators on one line; with `--prettify` an indent
 * of 2 and sorted keys; non-ASCII characters escaped (`ensure_ascii`).
 */

/** Python's `json.dumps(value)` or, with `pretty`, `json.dumps(value, indent=2, sort_keys=True)`. */
export function pythonJson(value: unknown, pretty = false): string {
  return encode(value, pretty, "");
}

function encodeString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function encode(value: unknown, pretty: boolean, indent: string): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return encodeString(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return JSON.stringify(value);
  }
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
