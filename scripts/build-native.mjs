// Builds the native helper (native/) at install, with a clear message when the
// machine lacks a C compiler, make or python3 (what node-gyp needs).
import { spawnSync } from "node:child_process";

const missing = ["cc", "make", "python3"].filter(
  (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0,
);
if (missing.length > 0) {
  console.error(
    `circus-ts: cannot build its native helper: ${missing.join(", ")} not found.\n` +
      "Install a C compiler, make and python3 (Debian/Ubuntu: apt-get install build-essential python3), then run npm rebuild.",
  );
  process.exit(1);
}
const gyp = spawnSync("node-gyp", ["rebuild"], { stdio: "inherit" });
process.exit(gyp.status ?? 1);
