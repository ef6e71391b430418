// Bundles circushttpd's page (src/web/ui) into dist/web: index.html, and assets/app.js and
// assets/app.css (uPlot's stylesheet first), which the server serves under /assets/. Everything is served from the console itself (the CSP allows no CDN),
// and the page weight is printed: the budget is 150 KB gzipped.
import { build } from "esbuild";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";

const out = "dist/web";
const assets = `${out}/assets`;
await mkdir(assets, { recursive: true });
await build({
  entryPoints: { app: "src/web/ui/main.ts" },
  outdir: assets,
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  platform: "browser",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
});
const css = [
  await readFile("node_modules/uplot/dist/uPlot.min.css", "utf8"),
  await readFile("src/web/ui/app.css", "utf8"),
].join("\n");
const minified = await build({
  stdin: { contents: css, loader: "css" },
  write: false,
  minify: true,
  logLevel: "warning",
});
await writeFile(`${assets}/app.css`, minified.outputFiles[0].contents);
await copyFile("src/web/ui/index.html", `${out}/index.html`);

let total = 0;
const sizes = [];
for (const f of ["index.html", "assets/app.js", "assets/app.css"]) {
  const gz = gzipSync(await readFile(`${out}/${f}`), { level: 9 }).length;
  total += gz;
  sizes.push(`${f} ${(gz / 1024).toFixed(1)}`);
}
console.log(`dist/web: ${(total / 1024).toFixed(1)} KB gzipped (${sizes.join(", ")})`);
if (total > 150 * 1024) {
  console.error("dist/web is over its 150 KB gzipped budget");
  process.exit(1);
}
