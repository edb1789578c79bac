/**
 * The control plane at scale: N WebApps created at once on the embedded API server (workload
 * simulator, ready delay 0), with the operator in its own process (the compiled CLI, as in
 * production), measured from outside: time until the first 10% and all are Ready, the operator's CPU
 * per WebApp and peak RSS (from /proc: utime+stime and VmHWM), its requests per WebApp by verb and
 * resource, its writes per WebApp for a one-field change of every WebApp, and its requests over
 * three resync periods at steady state. Prints Markdown ending with `Targets: N of M met`.
 *
 *   npm run bench:controller -- [--webapps 1000] [--concurrency 4] [--resync 3s] [--strict]
 */
import { parseArgs } from "node:util";
import { WEBAPP_TYPE } from "../src/controller/webapp-controller.js";
import { resourcePath } from "../src/kube/resources.js";
import { parseDuration } from "../src/runtime/duration.js";
import {
  BENCH_WEBAPP_SPEC,
  condition,
  createNamespace,
  mergePatch,
  startEnv,
  waitFor,
  webappManifest,
} from "./lib/operator-env.js";
import { cpuMs, operatorMetric as metric, peakRssMb, startOperatorProcess } from "./lib/operator-process.js";

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

const env = await startEnv({ readyDelayMs: 0 });
await createNamespace(env, "bench");
const operator = await startOperatorProcess({
  kubeconfigPath: env.kubeconfigPath,
  // e.g. BENCH_OPERATOR_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=.tmp/prof" to profile the operator
  nodeOptions: process.env.BENCH_OPERATOR_NODE_OPTIONS?.split(" ").filter(Boolean),
  args: [`--concurrency=${values.concurrency}`, `--resync-period=${values.resync}`, "--log-level=warn"],
});
const { pid, metricsPort } = operator;
const stopOperator = () => operator.stop();

try {
  // The operator has started when it watches WebApps.
  await waitFor(
    () => (env.dc.stats.snapshot().byUserAgentVerbResource[OPERATOR_AGENT]?.["watch webapps"] ?? 0) > 0,
    {
      timeoutMs: 30_000,
      message: "the operator watching WebApps",
    },
  );
  const idleRss = peakRssMb(pid);
  env.dc.stats.reset();
  const cpuBefore = cpuMs(pid);
  const serverCpuBefore = process.cpuUsage();
  const reconcilesBefore = await metric(metricsPort, "controller_runtime_reconcile_total");

  const started = performance.now();
  const mark = (what: string) => {
    // Monotonic microseconds, the clock of V8's CPU profiles: the operator's profile can be cut to a phase.
    if (process.env.BENCH_OPERATOR_NODE_OPTIONS)
      console.error(`mark ${what} ${process.hrtime.bigint() / 1000n}`);
  };
  mark("converge-start");
  const spec = BENCH_WEBAPP_SPEC;
  const creating = Promise.all(
    Array.from({ length: count }, (_, i) =>
      env.client.create(WEBAPP_TYPE, "bench", webappManifest("bench", `shop-${i}`, spec)),
    ),
  );
  let firstTenthMs: number | undefined;
  const readyCount = async (generation: number) => {
    const list = await env.client.list(WEBAPP_TYPE, "bench");
    return list.items.filter(
      (w) =>
        condition(w, "Ready")?.status === "True" &&
        (w.status as { observedGeneration?: number } | undefined)?.observedGeneration === generation,
    ).length;
  };
  await waitFor(
    async () => {
      const ready = await readyCount(1);
      if (firstTenthMs === undefined && ready >= count / 10) firstTenthMs = performance.now() - started;
      return ready === count;
    },
    { timeoutMs: 600_000, intervalMs: 100 },
  );
  await creating;
  const allReadyMs = performance.now() - started;
  mark("converge-end");
  const cpuPerWebApp = (cpuMs(pid) - cpuBefore) / count;
  const serverCpu = process.cpuUsage(serverCpuBefore);
  const serverCpuPerWebApp = (serverCpu.user + serverCpu.system) / 1000 / count;
  const reconcilesPerWebApp =
    ((await metric(metricsPort, "controller_runtime_reconcile_total")) - reconcilesBefore) / count;
  // Let the last events settle before counting.
  await new Promise((r) => setTimeout(r, 1000));
  const converging = env.dc.stats.snapshot().byUserAgentVerbResource[OPERATOR_AGENT] ?? {};

  const convergedRss = peakRssMb(pid);

  // One field of every WebApp changes: the web tier's body size (its ConfigMap and Deployment).
  env.dc.stats.reset();
  const updated = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      mergePatch(env, resourcePath(WEBAPP_TYPE, "bench", `shop-${i}`), {
        spec: { web: { clientMaxBodySize: "20m" } },
      }),
    ),
  );
  await waitFor(async () => (await readyCount(2)) === count, { timeoutMs: 600_000, intervalMs: 200 });
  const updateMs = performance.now() - updated;
  await new Promise((r) => setTimeout(r, 1000));
  const update = env.dc.stats.snapshot().byUserAgentVerbResource[OPERATOR_AGENT] ?? {};
  const updatedRss = peakRssMb(pid);

  // Steady state: three resync periods.
  env.dc.stats.reset();
  await new Promise((r) => setTimeout(r, 3 * resyncMs + 500));
  const steady = env.dc.stats.snapshot().byUserAgentVerbResource[OPERATOR_AGENT] ?? {};
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
      `${((firstTenthMs ?? Number.NaN) / 1000).toFixed(2)} s`,
      "≤ 3 s",
      (firstTenthMs ?? Number.POSITIVE_INFINITY) <= 3000,
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
    `Reconciles per WebApp while converging: ${reconcilesPerWebApp.toFixed(2)}. CPU of this process (the API server, the simulator and the load) per WebApp: ${serverCpuPerWebApp.toFixed(2)} ms.`,
  );
  console.log(`The one-field change took ${(updateMs / 1000).toFixed(2)} s until all were Ready again.`);
  const met = rows.filter((r) => r[3]).length;
  console.log(`\nTargets: ${met} of ${rows.length} met.`);
  if (values.strict && met < rows.length) process.exitCode = 1;
} finally {
  await stopOperator();
  await env.stop();
}
