/**
 * What every answer of circushttpd shares: the security headers of API.md, JSON and text
 * replies, and the request body read with its size limit.
 */
import type http from "node:http";

/** Bodies above this are refused with 413 (API.md). */
export const MAX_BODY_BYTES = 64 * 1024;
/** A string field above this is refused with 400 naming it. */
export const MAX_FIELD_CHARS = 4 * 1024;

/** The headers of every response: no inline code, no framing, no sniffing, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/** An error an API handler throws to answer `{"error"}` with a status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sends a JSON body with the security headers; `headers` may add Set-Cookie and the like. */
export function sendJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...headers,
  });
  response.end(text);
}

/** Sends bytes with the security headers. */
export function sendBytes(
  response: http.ServerResponse,
  status: number,
  type: string,
  bytes: Buffer | string,
  headers: Record<string, string> = {},
  head = false,
): void {
  const body = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": body.length,
    ...headers,
  });
  response.end(head ? undefined : body);
}

/**
 * The request's JSON object body (`{}` when empty).
 *
 * @throws HttpError 413 over {@link MAX_BODY_BYTES}, 400 for bad JSON, a non-object, or a
 * string field over {@link MAX_FIELD_CHARS}.
 */
export async function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(request.headers["content-length"] ?? "0");
  if (declared > MAX_BODY_BYTES) {
    // Not read: the connection goes once answered.
    request.resume();
    throw new HttpError(
      413,
      `body too large (at most ${MAX_BODY_BYTES} bytes)`,
      {},
      { Connection: "close" },
    );
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(
        413,
        `body too large (at most ${MAX_BODY_BYTES} bytes)`,
        {},
        { Connection: "close" },
      );
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new HttpError(400, "the body must be a JSON object");
  checkFields(value as Record<string, unknown>, "");
  return value as Record<string, unknown>;
}

/** Every string (at any depth) within {@link MAX_FIELD_CHARS}, else 400 naming its field. */
function checkFields(value: unknown, path: string): void {
  if (typeof value === "string") {
    if (value.length > MAX_FIELD_CHARS)
      throw new HttpError(
        400,
        `field ${path || "body"} is too long (at most ${MAX_FIELD_CHARS} characters)`,
        {
          fields: { [path]: `at most ${MAX_FIELD_CHARS} characters` },
        },
      );
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const name = path === "" ? key : `${path}.${key}`;
    if (key.length > MAX_FIELD_CHARS)
      throw new HttpError(400, `a key of ${path || "body"} is too long`);
    checkFields(inner, name);
  }
}
