// Rollouts under load, measured on the embedded cluster's node agent (issue 12): the Flask example
// (examples/flask-app.yaml) runs as real NGINX and Gunicorn processes behind the embedded kube-proxy,
// the operator rolls its app tier (a new image) and then its web tier (a new NGINX config) while a
// constant load, sent and timed by a process of its own, goes through the entry Service. For each rollout it prints the failed requests (target
// 0), the p99 latency during the rollout divided by the p99 just before it (target at most 3x), and the
// rollout time (from the change until the last old pod has stopped).
//
//   npm run bench:rollout -- [--rate 60] [--baseline 10] [--rounds 1] [--json results.json] [--strict]
// --rounds N rolls both tiers N times and judges each tier's median p99 ratio (for shared machines,
// where other work moves one rollout's figure); --strict exits 1 when a target is missed. Load goes to 127.0.0.1 only; every process started is
// stopped at the end (and on Ctrl-C).
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { WEBAPP_TYPE } from "../src/controller/webapp-controller.js";
import { resourcePath } from "../src/kube/resources.js";
import {
  formatTarget,
  markdownGrid,
  meets,
  type Target,
  targetsLine,
  type Verdict,
} from "./lib/bench-table.js";
import { DATA_PLANE_REQUIREMENTS } from "./lib/harness/index.js";
import {
  exampleWebApp,
  type NodeAgentEnv,
  startNodeAgentEnv,
  tierPods,
  waitPodsReplaced,
} from "./lib/node-agent-env.js";
import { mergePatch, waitReady } from "./lib/operator-env.js";
import type { LoadReport } from "./lib/steady-load.js";
import { type LoadProcess, startLoadProcess } from "./lib/steady-load-process.js";
import { missingTools } from "./lib/tools.js";

/** The issue's targets. */
const TARGETS = {
  failedRequests: { kind: "max", value: 0 },
  p99DuringVsBefore: { kind: "max", value: 3 },
} as const satisfies Record<string, Target>;

const NAMESPACE = "default";
const NAME = "flask-demo";
/** Pods 127.148.0.0/16, Services 127.149.0.0/16: apart from the e2e test files' ranges (150 to 159). */
const OCTET = 148;
const ROLLOUT_TIMEOUT_MS = 180_000;

interface Options {
  rate: number;
  baseline: number;
  rounds: number;
  json?: string;
  strict: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: "string", default: "60" },
      baseline: { type: "string", default: "10" },
      rounds: { type: "string", default: "1" },
      json: { type: "string" },
      strict: { type: "boolean", default: false },
    },
    strict: true,
  });
  const bounded = (flag: string, value: string, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`--${flag} must be an integer from 1 to ${max}, got ${value}`);
    return n;
  };
  return {
    rate: bounded("rate", values.rate, 500),
    baseline: bounded("baseline", values.baseline, 120),
    rounds: bounded("rounds", values.rounds, 10),
    ...(values.json ? { json: values.json } : {}),
    strict: values.strict,
  };
}

interface Rollout {
  tier: string;
  change: string;
  round: number;
  before: LoadReport;
  during: LoadReport;
  seconds: number;
}

/** When a rollout's windows began and ended, on the load's clock. */
interface RolloutMarks {
  tier: "app" | "web";
  change: string;
  round: number;
  baselineStart: number;
  start: number;
  end: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A quiet baseline, then `patch`, then the load until the tier's last old pod has stopped. */
async function rollOut(
  env: NodeAgentEnv,
  load: LoadProcess,
  options: Options,
  tier: "app" | "web",
  change: string,
  round: number,
  patch: object,
): Promise<RolloutMarks> {
  const baselineStart = load.elapsedMs();
  await sleep(options.baseline * 1000);
  const oldPods = tierPods(env, NAMESPACE, NAME, tier).map((p) => p.metadata.name!);
  const start = load.elapsedMs();
  await mergePatch(env, resourcePath(WEBAPP_TYPE, NAMESPACE, NAME), patch);
  await waitPodsReplaced(env, NAMESPACE, NAME, tier, oldPods, ROLLOUT_TIMEOUT_MS);
  const end = load.elapsedMs();
  await waitReady(env, NAMESPACE, NAME, ROLLOUT_TIMEOUT_MS);
  console.error(`${tier} tier rolled in ${((end - start) / 1000).toFixed(1)} s`);
  return { tier, change, round, baselineStart, start, end };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * One table: each rollout's windows, its failed requests against the target, its p99 ratio (against
 * the target with one round; with several, the median ratio of each tier is what is judged).
 */
function table(rollouts: Rollout[], rounds: number): { text: string; verdicts: Verdict[] } {
  const verdicts: Verdict[] = [];
  const judge = (value: number, target: Target) => {
    const v: Verdict = meets(value, target) ? "PASS" : "MISS";
    verdicts.push(v);
    return v;
  };
  const header = [
    "rollout",
    "window",
    "seconds",
    "requests",
    "req/s",
    "failed",
    "p50 ms",
    "p99 ms",
    "measure",
    "value",
    "target",
    "verdict",
  ];
  const stats = (r: LoadReport) => [
    r.durationSeconds.toFixed(1),
    String(r.requests),
    r.ratePerSecond.toFixed(1),
    String(r.failed),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p99.toFixed(1),
  ];
  const ratioOf = (r: Rollout) => r.during.latencyMs.p99 / r.before.latencyMs.p99;
  const ratioRow = (what: string, window: string, ratio: number, judged: boolean) => [
    what,
    window,
    "",
    "",
    "",
    "",
    "",
    "",
    "p99 latency",
    `${ratio.toFixed(2)}x`,
    judged ? formatTarget(TARGETS.p99DuringVsBefore) : "",
    judged ? judge(ratio, TARGETS.p99DuringVsBefore) : "",
  ];
  const lines: string[][] = [];
  for (const r of rollouts) {
    const what = `${r.tier} tier: ${r.change}${rounds > 1 ? ` (round ${r.round})` : ""}`;
    lines.push([what, "before", ...stats(r.before), "", "", "", ""]);
    lines.push([
      what,
      "during rollout",
      ...stats(r.during),
      "failed requests",
      String(r.during.failed),
      "= 0",
      judge(r.during.failed, TARGETS.failedRequests),
    ]);
    lines.push(ratioRow(what, "during ÷ before", ratioOf(r), rounds === 1));
    lines.push([what, "rollout time", r.seconds.toFixed(1), "", "", "", "", "", "", "", "", ""]);
  }
  if (rounds > 1) {
    for (const tier of ["app", "web"]) {
      const mine = rollouts.filter((r) => r.tier === tier);
      lines.push(
        ratioRow(
          `${tier} tier: ${mine[0]?.change ?? ""}`,
          `median of ${rounds}`,
          median(mine.map(ratioOf)),
          true,
        ),
      );
    }
  }
  return { text: markdownGrid(header, lines), verdicts };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const missing = missingTools(DATA_PLANE_REQUIREMENTS);
  if (missing.length > 0)
    throw new Error(`missing ${missing.join(", ")}: install the Debian packages .ci/run lists`);

  const env = await startNodeAgentEnv({ octet: OCTET });
  let load: LoadProcess | undefined;
  const rollouts: Rollout[] = [];
  try {
    console.error(`starting ${NAME} (examples/flask-app.yaml) on the node agent ...`);
    await env.client.create(WEBAPP_TYPE, NAMESPACE, exampleWebApp("flask-app.yaml"));
    await waitReady(env, NAMESPACE, NAME, ROLLOUT_TIMEOUT_MS);
    const { host, port } = await env.dc.serviceAddress(NAMESPACE, NAME, 80);
    load = await startLoadProcess({
      host,
      port,
      path: "/api/info",
      ratePerSecond: options.rate,
      maxInFlight: 500,
      maxDurationMs: 15 * 60_000,
    });
    // Each round rolls both tiers to a version they have not run yet: a new image tag (the image map
    // maps any tag), then a new NGINX read timeout.
    const marks: RolloutMarks[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      marks.push(
        await rollOut(env, load, options, "app", "new image", round, {
          spec: { app: { image: `registry.example.com/flask-demo:1.0.${round}` } },
        }),
      );
      marks.push(
        await rollOut(env, load, options, "web", "new NGINX config", round, {
          spec: { web: { proxyTimeouts: { readSeconds: 90 + round } } },
        }),
      );
    }
    const { windows } = await load.stop(
      marks.flatMap(
        (m) =>
          [
            [m.baselineStart, m.start],
            [m.start, m.end],
          ] as [number, number][],
      ),
    );
    for (const [i, m] of marks.entries()) {
      rollouts.push({
        tier: m.tier,
        change: m.change,
        round: m.round,
        before: windows[2 * i]!,
        during: windows[2 * i + 1]!,
        seconds: (m.end - m.start) / 1000,
      });
    }
  } finally {
    load?.kill();
    await env.stop();
  }

  const { text, verdicts } = table(rollouts, options.rounds);
  console.log(
    `Constant load of ${options.rate} requests/s (one connection each, sent and timed by a process of its own) ` +
      `to GET /api/info through the entry ` +
      `Service (kube-proxy, NGINX, kube-proxy, Gunicorn), ${options.baseline} s of baseline before each ` +
      `of ${options.rounds * 2} rollouts; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; ${new Date().toISOString()}\n`,
  );
  console.log(text);
  console.log(`\n${targetsLine(verdicts)}`);
  if (options.json) await writeFile(options.json, `${JSON.stringify(rollouts, null, 2)}\n`);
  if (options.strict && verdicts.some((v) => v !== "PASS")) process.exitCode = 1;
}

// Ctrl-C: exit through process.exit so the process registry's exit hook kills every pod's processes.
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

await main();
