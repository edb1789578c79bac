/**
 * The control plane at scale: N WebApps created at once on the embedded API server (workload
 * simulator, ready delay 0), with the operator in its own process (the compiled CLI, as in
 * production), measured from outside: time until the first 10% and all are Ready, the operator's CPU
 * per WebApp and peak RSS (from /proc: utime+stime and VmHWM), its requests per WebApp by verb and
 * resource, its writes per WebApp for a one-field change of every WebApp, and its requests over
 * three resync periods at steady state. Prints Markdown ending with `Targets: N of M met`. The
 * embedded API server runs in a process of its own too, so its CPU per WebApp is reported apart from
 * the load this process generates.
 *
 *   npm run bench:controller -- [--webapps 1000] [--concurrency 4] [--resync 3s] [--strict]
 */
import { parseArgs } from "node:util";
import { WEBAPP_TYPE } from "../src/controller/webapp-controller.js";
import { resourcePath } from "../src/kube/resources.js";
import { parseDuration } from "../src/runtime/duration.js";
import { startEnvProcess } from "./lib/env-process.js";
import { BENCH_WEBAPP_SPEC, mergePatch, waitFor, webappManifest } from "./lib/operator-env.js";
import { cpuMs, operatorMetric as metric, peakRssMb, startOperatorProcess } from "./lib/operator-process.js";
import { watchReady } from "./lib/ready-watch.js";

const { values } = parseArgs({
  options: {
    webapps: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "4" },
    resync: { type: "string", default: "3s" },
    strict: { type: "boolean", default: false },
  },
});
const count = Number(values.webapps);
const resyncMs = parseDuration(values.resync, "--resync");
const OPERATOR_AGENT = "webapp-operator";

const env = await startEnvProcess({
  readyDelayMs: 0,
  // e.g. BENCH_APISERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=.tmp/prof" to profile the API server
  nodeOptions: process.env.BENCH_APISERVER_NODE_OPTIONS?.split(" ").filter(Boolean) ?? [],
});
await env.createNamespace("bench");
const operator = await startOperatorProcess({
  kubeconfigPath: env.kubeconfigPath,
  // e.g. BENCH_OPERATOR_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=.tmp/prof" to profile the operator
  nodeOptions: process.env.BENCH_OPERATOR_NODE_OPTIONS?.split(" ").filter(Boolean),
  args: [`--concurrency=${values.concurrency}`, `--resync-period=${values.resync}`, "--log-level=warn"],
});
const { pid, metricsPort } = operator;
const stopOperator = () => operator.stop();

let stopReadyWatch = () => {};
try {
  // The operator has started when it watches WebApps.
  await waitFor(
    async () => ((await env.stats()).byUserAgentVerbResource[OPERATOR_AGENT]?.["watch webapps"] ?? 0) > 0,
    {
      timeoutMs: 30_000,
      message: "the operator watching WebApps",
    },
  );
  const idleRss = peakRssMb(pid);
  const ready = await watchReady(env.client, "bench");
  stopReadyWatch = () => ready.stop();
  await env.resetStats();
  const cpuBefore = cpuMs(pid);
  const serverCpuBefore = cpuMs(env.pid);
  const loadCpuBefore = process.cpuUsage();
  const reconcilesBefore = await metric(metricsPort, "controller_runtime_reconcile_total");

  const started = performance.now();
  const mark = (what: string) => {
    // Monotonic microseconds, the clock of V8's CPU profiles: the operator's profile can be cut to a phase.
    if (process.env.BENCH_OPERATOR_NODE_OPTIONS || process.env.BENCH_APISERVER_NODE_OPTIONS)
      console.error(`mark ${what} ${process.hrtime.bigint() / 1000n}`);
  };
  mark("converge-start");
  const spec = BENCH_WEBAPP_SPEC;
  const creating = Promise.all(
    Array.from({ length: count }, (_, i) =>
      env.client.create(WEBAPP_TYPE, "bench", webappManifest("bench", `shop-${i}`, spec)),
    ),
  );
  const firstTenth = ready.whenReady(1, Math.ceil(count / 10), 600_000);
  const allReady = ready.whenReady(1, count, 600_000);
  const firstTenthMs = (await firstTenth) - started;
  const allReadyMs = (await allReady) - started;
  await creating;
  mark("converge-end");
  const cpuPerWebApp = (cpuMs(pid) - cpuBefore) / count;
  const serverCpuPerWebApp = (cpuMs(env.pid) - serverCpuBefore) / count;
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const loadCpuPerWebApp = (loadCpu.user + loadCpu.system) / 1000 / count;
  const reconcilesPerWebApp =
    ((await metric(metricsPort, "controller_runtime_reconcile_total")) - reconcilesBefore) / count;
  // Let the last events settle before counting.
  await new Promise((r) => setTimeout(r, 1000));
  const converging = (await env.stats()).byUserAgentVerbResource[OPERATOR_AGENT] ?? {};

  const convergedRss = peakRssMb(pid);

  // One field of every WebApp changes: the web tier's body size (its ConfigMap and Deployment).
  await env.resetStats();
  const updated = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      mergePatch(env, resourcePath(WEBAPP_TYPE, "bench", `shop-${i}`), {
        spec: { web: { clientMaxBodySize: "20m" } },
      }),
    ),
  );
  const updateMs = (await ready.whenReady(2, count, 600_000)) - updated;
  await new Promise((r) => setTimeout(r, 1000));
  const update = (await env.stats()).byUserAgentVerbResource[OPERATOR_AGENT] ?? {};
  const updatedRss = peakRssMb(pid);

  // Steady state: three resync periods.
  await env.resetStats();
  await new Promise((r) => setTimeout(r, 3 * resyncMs + 500));
  const steady = (await env.stats()).byUserAgentVerbResource[OPERATOR_AGENT] ?? {};
  const peakRss = peakRssMb(pid);

  const isWrite = (key: string) => !/^(get|list|watch)\b/.test(key);
  const sum = (m: Record<string, number>, pick: (k: string) => boolean = () => true) =>
    Object.entries(m)
      .filter(([k]) => pick(k))
      .reduce((n, [, v]) => n + v, 0);
  const perWebApp = (m: Record<string, number>) =>
    Object.entries(m)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${(v / count).toFixed(2)}`)
      .join(", ");
  const childApplies = sum(
    converging,
    (k) => k.startsWith("patch ") && !k.includes("/status") && k !== "patch events",
  );
  const rendered = 8; // children of the spec above: ConfigMap, 2 Deployments, 2 Services, 2 PDBs, NetworkPolicy
  const statusPatches = converging["patch webapps/status"] ?? 0;
  const events = (converging["create events"] ?? 0) + (converging["patch events"] ?? 0);
  const updateWrites = sum(update, isWrite);
  const updateChildren = sum(
    update,
    (k) => isWrite(k) && !k.includes("webapps/status") && !k.includes("events"),
  );

  type Row = [string, string, string, boolean];
  const rows: Row[] = [
    ["time until all are Ready", `${(allReadyMs / 1000).toFixed(2)} s`, "≤ 10 s", allReadyMs <= 10_000],
    [
      "time until the first 10% are Ready",
      `${(firstTenthMs / 1000).toFixed(2)} s`,
      "≤ 3 s",
      firstTenthMs <= 3000,
    ],
    [
      "operator CPU per WebApp while converging",
      `${cpuPerWebApp.toFixed(2)} ms`,
      "≤ 4 ms",
      cpuPerWebApp <= 4,
    ],
    [
      "operator peak RSS (VmHWM, whole run)",
      `${peakRss.toFixed(0)} MB (before any WebApp ${idleRss.toFixed(0)}, converged ${convergedRss.toFixed(0)}, after the update ${updatedRss.toFixed(0)})`,
      "≤ 150 MB",
      peakRss <= 150,
    ],
    [
      "child applies per WebApp while converging",
      (childApplies / count).toFixed(2),
      `= ${rendered} (one per child)`,
      childApplies === rendered * count,
    ],
    [
      "status patches per WebApp while converging",
      (statusPatches / count).toFixed(2),
      "= 1",
      statusPatches === count,
    ],
    ["Events per WebApp while converging", (events / count).toFixed(2), "≤ 1", events <= count],
    [
      "writes per WebApp for a one-field change of every WebApp",
      `${(updateWrites / count).toFixed(2)} (${perWebApp(Object.fromEntries(Object.entries(update).filter(([k]) => isWrite(k))))})`,
      "= changed children (2) + 1 status patch",
      updateChildren === 2 * count &&
        (update["patch webapps/status"] ?? 0) === count &&
        updateWrites === 3 * count,
    ],
    ["requests at steady state over 3 resyncs", String(sum(steady)), "= 0", sum(steady) === 0],
  ];
  console.log(
    `Controller at scale: ${count} WebApps created at once on the embedded API server (simulator, ready delay 0); the operator in its own process (compiled CLI), concurrency ${values.concurrency}, resync ${values.resync}.\n`,
  );
  console.log("| measure | result | target | verdict |");
  console.log("|---|---|---|---|");
  for (const [measure, result, target, met] of rows)
    console.log(`| ${measure} | ${result} | ${target} | ${met ? "PASS" : "MISS"} |`);
  console.log(`\nOperator requests per WebApp while converging: ${perWebApp(converging)}.`);
  console.log(
    `Reconciles per WebApp while converging: ${reconcilesPerWebApp.toFixed(2)}. CPU per WebApp while converging of the embedded API server (its own process, with the workload simulator): ${serverCpuPerWebApp.toFixed(2)} ms; of this benchmark's load (creates, patches and the readiness watch): ${loadCpuPerWebApp.toFixed(2)} ms.`,
  );
  console.log(`The one-field change took ${(updateMs / 1000).toFixed(2)} s until all were Ready again.`);
  const met = rows.filter((r) => r[3]).length;
  console.log(`\nTargets: ${met} of ${rows.length} met.`);
  if (values.strict && met < rows.length) process.exitCode = 1;
} finally {
  stopReadyWatch();
  await stopOperator();
  await env.stop();
}
