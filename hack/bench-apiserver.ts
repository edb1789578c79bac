// Benchmark of the embedded API server: 10,000 stored objects, 50 concurrent watches that must each see
// every change, and LIST of all 10,000 objects (target: under a second). Prints the figures as Markdown;
// exits 1 when an error occurred or a target is missed.
//
//   npx tsx hack/bench-apiserver.ts [--objects 10000] [--watches 50] [--updates 1000]
import { parseArgs } from "node:util";
import { startDevCluster } from "../src/devcluster/index.js";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "10000" },
    watches: { type: "string", default: "50" },
    updates: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "32" },
  },
});
const OBJECTS = Number(values.objects);
const WATCHES = Number(values.watches);
const UPDATES = Number(values.updates);
const CONCURRENCY = Number(values.concurrency);
const LIST_TARGET_MS = 1000;

const cluster = await startDevCluster({ watchHistory: OBJECTS + UPDATES + 100 });
const base = `${cluster.url}/api/v1/namespaces/bench/configmaps`;
let errors = 0;

async function request(
  method: string,
  url: string,
  body?: unknown,
  contentType = "application/json",
): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    errors++;
    if (errors <= 5) console.error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  }
  return text;
}

async function inParallel(total: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) await work(next++);
    }),
  );
  return performance.now() - started;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

await request("POST", `${cluster.url}/api/v1/namespaces`, { metadata: { name: "bench" } });

// 1. Store 10,000 objects.
const createMs = await inParallel(OBJECTS, (i) =>
  request("POST", base, {
    metadata: { name: `cm-${String(i).padStart(5, "0")}`, labels: { shard: String(i % 10), app: "bench" } },
    data: { index: String(i), payload: "x".repeat(200) },
  }),
);

// 2. 50 watches from the current resourceVersion; each must see every update.
const listRv = JSON.parse((await request("GET", `${base}?limit=1`)) as string).metadata
  .resourceVersion as string;
const watchers = Array.from({ length: WATCHES }, () => {
  const controller = new AbortController();
  const state = { events: 0, errors: 0, done: undefined as Promise<void> | undefined, controller };
  state.done = (async () => {
    try {
      const res = await fetch(`${base}?watch=true&resourceVersion=${listRv}`, { signal: controller.signal });
      if (!res.ok || !res.body) {
        state.errors++;
        return;
      }
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.includes('"type":"ERROR"')) state.errors++;
          else state.events++;
          nl = buffer.indexOf("\n");
        }
      }
    } catch (e) {
      if ((e as Error).name !== "AbortError") state.errors++;
    }
  })();
  return state;
});
await new Promise((r) => setTimeout(r, 200));
const updateMs = await inParallel(UPDATES, (i) =>
  request(
    "PATCH",
    `${base}/cm-${String(i % OBJECTS).padStart(5, "0")}`,
    { data: { updated: String(i) } },
    "application/merge-patch+json",
  ),
);
const deadline = Date.now() + 30_000;
while (Date.now() < deadline && watchers.some((w) => w.events < UPDATES))
  await new Promise((r) => setTimeout(r, 50));
const fanoutMs = performance.now();
for (const w of watchers) w.controller.abort();
await Promise.all(watchers.map((w) => w.done));
const watchEvents = watchers.reduce((n, w) => n + w.events, 0);
const watchErrors = watchers.reduce((n, w) => n + w.errors, 0);
const missed = watchers.filter((w) => w.events < UPDATES).length;
void fanoutMs;

// 3. LIST all 10,000 objects, JSON and as kubectl's Table; and the same in pages of 500.
async function timeList(
  url: string,
  accept?: string,
  runs = 7,
): Promise<{ ms: number[]; items: number; bytes: number }> {
  const ms: number[] = [];
  let items = 0;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: accept ? { Accept: accept } : {} });
    const text = await res.text();
    ms.push(performance.now() - started);
    if (!res.ok) errors++;
    const body = JSON.parse(text);
    items = (body.items ?? body.rows).length;
    bytes = text.length;
  }
  return { ms: ms.sort((a, b) => a - b), items, bytes };
}
const listJson = await timeList(base);
const listTable = await timeList(base, "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
const listSelected = await timeList(`${base}?labelSelector=shard%3D3`);
const pagedStarted = performance.now();
let pages = 0;
let pagedItems = 0;
let cont = "";
do {
  const body = JSON.parse(
    (await request("GET", `${base}?limit=500${cont ? `&continue=${cont}` : ""}`)) as string,
  );
  pages++;
  pagedItems += body.items.length;
  cont = body.metadata.continue ?? "";
} while (cont);
const pagedMs = performance.now() - pagedStarted;

await cluster.stop();

const listOk = percentile(listJson.ms, 50) < LIST_TARGET_MS && listJson.items === OBJECTS;
const watchOk = watchErrors === 0 && missed === 0;
const rows = [
  [
    "create objects",
    `${OBJECTS} ConfigMaps`,
    `${(createMs / 1000).toFixed(2)} s`,
    `${Math.round(OBJECTS / (createMs / 1000))} req/s`,
    "",
  ],
  [
    "watch fan-out",
    `${WATCHES} watches x ${UPDATES} updates`,
    `${(updateMs / 1000).toFixed(2)} s of updates`,
    `${watchEvents} events delivered, ${missed} watches short, ${watchErrors} errors`,
    watchOk ? "PASS" : "FAIL",
  ],
  [
    "LIST (JSON)",
    `${listJson.items} items, ${(listJson.bytes / 1e6).toFixed(1)} MB`,
    `median ${percentile(listJson.ms, 50).toFixed(0)} ms, max ${listJson.ms[listJson.ms.length - 1]!.toFixed(0)} ms`,
    `target < ${LIST_TARGET_MS} ms`,
    listOk ? "PASS" : "MISS",
  ],
  [
    "LIST (Table, kubectl get)",
    `${listTable.items} rows`,
    `median ${percentile(listTable.ms, 50).toFixed(0)} ms`,
    "",
    "",
  ],
  [
    "LIST labelSelector",
    `${listSelected.items} items`,
    `median ${percentile(listSelected.ms, 50).toFixed(0)} ms`,
    "",
    "",
  ],
  [
    "LIST paged (limit=500)",
    `${pagedItems} items in ${pages} pages`,
    `${pagedMs.toFixed(0)} ms total`,
    "",
    "",
  ],
];
console.log("| measure | size | time | notes | verdict |\n|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log(`\nrequest errors: ${errors}`);
process.exitCode = errors === 0 && listOk && watchOk ? 0 : 1;
