/**
 * The conformance recorder, run by hand where the reference (Circus 0.19) is available:
 *
 *   node --import tsx scripts/conformance.ts record [SCENARIO...]   reference -> golden files
 *   node --import tsx scripts/conformance.ts check [SCENARIO...]    ours vs golden (as npm test)
 *   node --import tsx scripts/conformance.ts cross [SCENARIO...]    ours, driven by the
 *       reference's Python circusctl and client library, vs golden: the Python tools work with ours
 *   node --import tsx scripts/conformance.ts ctl-on-ref [SCENARIO...]  our circusctl driving
 *       the reference daemon, vs golden
 *
 * The reference is `$CIRCUS_REF` (default ../shared/reference/circus-ref beside the
 * repository): a command taking `circusd`, `circusctl` or `python` as its first word.
 * `--keep` keeps each scenario's folder.
 */
import path from "node:path";
import { compareTranscripts, report } from "../test/conformance/compare.ts";
import { runScenario } from "../test/conformance/driver.ts";
import { readGolden, writeGolden } from "../test/conformance/golden.ts";
import { normalizeTranscript } from "../test/conformance/normalize.ts";
import { SCENARIOS } from "../test/conformance/scenarios/index.ts";
import { OURS, type Target } from "../test/conformance/target.ts";
import { ROOT } from "../test/helpers/circusd.ts";

const REF = process.env.CIRCUS_REF ?? path.resolve(ROOT, "../shared/reference/circus-ref");

const REFERENCE: Target = {
  name: "reference",
  circusd: [REF, "circusd"],
  circusctl: [REF, "circusctl"],
  hook: (fn) => `circus_hooks.${fn}`,
};

const TARGETS: Record<string, Target> = {
  record: REFERENCE,
  check: OURS,
  // The daemon is ours; circusctl and the client library are the reference's.
  cross: {
    ...OURS,
    name: "ours, driven by the reference's Python tools",
    circusctl: REFERENCE.circusctl,
    client: [REF, "python", path.join(ROOT, "scripts/conformance-client.py")],
  },
  "ctl-on-ref": {
    ...REFERENCE,
    name: "the reference, driven by our circusctl",
    circusctl: OURS.circusctl,
  },
};

async function main(): Promise<number> {
  const [mode = "", ...rest] = process.argv.slice(2);
  const keep = rest.includes("--keep");
  const names = rest.filter((a) => !a.startsWith("--"));
  const target = TARGETS[mode];
  if (!target) {
    process.stderr.write(
      "usage: conformance.ts record|check|cross|ctl-on-ref [SCENARIO...] [--keep]\n",
    );
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => names.length === 0 || names.includes(s.name));
  let failed = 0;
  let steps = 0;
  for (const scenario of chosen) {
    const golden = mode === "record" ? undefined : readGolden(scenario.name);
    const started = Date.now();
    const { transcript, context, log } = await runScenario(scenario, target, { golden, keep });
    const normalized = normalizeTranscript(transcript, context, scenario);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    steps += normalized.steps.length;
    if (mode === "record") {
      writeGolden(normalized);
      console.log(`recorded ${scenario.name}: ${normalized.steps.length} steps in ${seconds} s`);
      if (keep) console.log(`  folder ${context.tmp}\n${log}`);
      continue;
    }
    const diffs = compareTranscripts(scenario, golden!, normalized);
    const open = diffs.filter((d) => !d.accepted);
    const accepted = diffs.length - open.length;
    console.log(
      `${open.length === 0 ? "ok  " : "FAIL"} ${scenario.name} (${seconds} s, ${accepted} deliberate)`,
    );
    if (open.length > 0) {
      failed++;
      console.log(report(open));
      if (keep) console.log(`  folder ${context.tmp}\n  daemon output:\n${log}`);
    }
  }
  console.log(`${chosen.length} scenarios, ${steps} steps, ${failed} failed (${target.name})`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
