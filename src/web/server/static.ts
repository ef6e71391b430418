/**
 * The page: `dist/web/index.html` and `dist/web/assets/...`, read from disk on each request
 * (small files, and a rebuilt bundle shows without a restart). Without a built page, a
 * placeholder says how to build it.
 */
import { readFile } from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sendBytes } from "./http-util.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
};

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>circushttpd</title></head>
<body><h1>circushttpd</h1><p>The page is not built: run <code>npm run build</code>.</p>
<p>The API answers under <a href="/api/session">/api/</a>.</p></body></html>
`;

/**
 * The folder of the built page: `dist/web/` of the package, whether this file runs from
 * `dist/web/server/` or (through tsx) from `src/web/server/`.
 */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, "..", "..", "..", "dist", "web");
}

/** Serves the page's files from a folder. */
export class StaticFiles {
  constructor(private readonly root: string) {}

  /** Answers `GET /`, `/login` and `/assets/...`; false when the path is none of them. */
  async serve(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    urlPath: string,
  ): Promise<boolean> {
    const head = request.method === "HEAD";
    if (urlPath === "/" || urlPath === "/login" || urlPath === "/index.html") {
      const bytes = await readFile(path.join(this.root, "index.html")).catch(() => null);
      if (bytes)
        sendBytes(
          response,
          200,
          TYPES[".html"] as string,
          bytes,
          { "Cache-Control": "no-cache" },
          head,
        );
      else
        sendBytes(
          response,
          200,
          TYPES[".html"] as string,
          PLACEHOLDER,
          { "Cache-Control": "no-cache" },
          head,
        );
      return true;
    }
    if (!urlPath.startsWith("/assets/")) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      sendBytes(response, 400, "text/plain; charset=utf-8", "bad path\n");
      return true;
    }
    const assets = path.join(this.root, "assets");
    const file = path.resolve(assets, "." + decoded.slice("/assets".length));
    // No way out of the assets folder (`..`, encoded or not).
    if (!file.startsWith(assets + path.sep) || decoded.includes("\0")) {
      sendBytes(response, 404, "text/plain; charset=utf-8", "not found\n");
      return true;
    }
    const bytes = await readFile(file).catch(() => null);
    if (!bytes) sendBytes(response, 404, "text/plain; charset=utf-8", "not found\n", {}, head);
    else
      sendBytes(
        response,
        200,
        TYPES[path.extname(file)] ?? "application/octet-stream",
        bytes,
        { "Cache-Control": "no-cache" },
        head,
      );
    return true;
  }
}
