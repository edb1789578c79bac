/**
 * Benchmark of the controller against the embedded API server: N WebApps created at once, the time
 * until every one is Ready, the API requests that took (by verb and resource), and then the
 * steady-state cost over three resync periods, which must be zero writes. Prints Markdown; exits 1
 * when steady state is not silent.
 *
 *   npm run bench:controller -- [--webapps 100] [--concurrency 4] [--resync 2s]
 */
import { parseArgs } from "node:util";
import { WEBAPP_TYPE } from "../src/controller/webapp-controller.js";
import { parseDuration } from "../src/runtime/duration.js";
import {
  condition,
  createNamespace,
  startEnv,
  startOperator,
  waitFor,
  webappManifest,
} from "./lib/operator-env.js";

const { values } = parseArgs({
  options: {
    webapps: { type: "string", default: "100" },
    concurrency: { type: "string", default: "4" },
    resync: { type: "string", default: "2s" },
  },
});
const count = Number(values.webapps);
const resyncMs = parseDuration(values.resync, "--resync");

const env = await startEnv({ readyDelayMs: 0 });
const operator = await startOperator(env, {
  resyncPeriodMs: resyncMs,
  concurrency: Number(values.concurrency),
  stallTimeoutMs: 120_000,
});
await createNamespace(env, "bench");
env.dc.stats.reset();

const started = performance.now();
await Promise.all(
  Array.from({ length: count }, (_, i) =>
    env.client.create(
      WEBAPP_TYPE,
      "bench",
      webappManifest("bench", `shop-${i}`, {
        app: { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 2 },
        web: {},
        static: { fromImage: { path: "/app/staticfiles" } },
      }),
    ),
  ),
);
await waitFor(
  async () => {
    const list = await env.client.list(WEBAPP_TYPE, "bench");
    return list.items.length === count && list.items.every((w) => condition(w, "Ready")?.status === "True");
  },
  { timeoutMs: 300_000, intervalMs: 200 },
);
const convergedMs = performance.now() - started;
const converging = env.dc.stats.snapshot();

// Let the last events settle, then watch three resync periods.
await new Promise((r) => setTimeout(r, 1500));
env.dc.stats.reset();
const reconcilesBefore = operator.stats.reconciles;
await new Promise((r) => setTimeout(r, 3 * resyncMs + 500));
const steady = env.dc.stats.snapshot();
const steadyReconciles = operator.stats.reconciles - reconcilesBefore;

const writes = Object.entries(converging.byVerbResource)
  .filter(([key]) => !/^(get|list|watch)\b/.test(key))
  .map(([key, n]) => `${key} ${n}`)
  .join(", ");

console.log(
  `Controller against the embedded API server (simulator ready delay 0), ${count} WebApps, concurrency ${values.concurrency}, resync ${values.resync}\n`,
);
console.log("| measure | result |");
console.log("|---|---|");
console.log(`| time until every WebApp is Ready | ${(convergedMs / 1000).toFixed(2)} s |`);
console.log(
  `| requests while converging (all clients) | ${converging.total}, of which ${converging.writes} writes |`,
);
console.log(`| writes while converging, by verb and resource | ${writes} |`);
console.log(`| writes per WebApp while converging | ${(converging.writes / count).toFixed(1)} |`);
console.log(
  `| steady state over 3 resyncs | ${steadyReconciles} reconciles, ${steady.writes} writes, ${steady.total} requests |`,
);

await operator.stop();
await env.stop();
if (steady.writes > 0 || steadyReconciles === 0) {
  console.error("steady state is not silent (or no resync happened)");
  process.exitCode = 1;
}
