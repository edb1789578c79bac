// Measures the data plane the operator renders, with wrk on loopback, and prints one table
// from one run (issue 4):
//   a) 10 KB and 1 MB static files: the rendered NGINX config vs a bare reference NGINX
//      config vs the app server serving the same file from Flask vs the Werkzeug
//      development server;
//      (and Gunicorn serving them through WhiteNoise, what a Django team might pick instead);
//   b) a small dynamic JSON answer: the app server direct vs through the rendered NGINX
//      (and through the bare reference, to separate the config's cost from NGINX's own), with
//      sync workers and with Gunicorn's gthread workers, where NGINX keeps connections alive;
//   c) the 20 ms slow endpoint with 1, 2 and 4 app replicas behind the rendered NGINX:
//      throughput against one replica and each replica's share of the requests.
// Every server is started from what the renderer produced (the harness in
// hack/lib/harness), except the reference NGINX and the development server.
//
//   npm run bench:dataplane -- [--duration 5] [--connections 32] [--threads 1] [--rounds 1]
//                              [--server gunicorn|uwsgi] [--json results.json] [--strict]
// --rounds N runs every row N times, interleaved, and reports the median (for shared machines);
// --strict exits 1 when a target is missed.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { render } from "../src/render/index.js";
import {
  FLASK_BENCHMARK_FILES,
  FLASK_WHITENOISE_CALLABLE,
  flaskDevServerCommand,
  type PreparedApp,
  prepareApp,
} from "./lib/apps.js";
import {
  type BenchRow,
  markdownTable,
  replicaShares,
  type Target,
  targetsLine,
  verdict,
} from "./lib/bench-table.js";
import {
  type AppReplica,
  localAppCommand,
  parseManifest,
  startTopology,
  type Topology,
  webAppManifest,
} from "./lib/harness/index.js";
import { httpRequest } from "./lib/http.js";
import { startNginx } from "./lib/nginx.js";
import { freePort, type RunningProcess, startServer } from "./lib/process.js";
import { referenceNginxConfig } from "./lib/reference-nginx.js";
import { DEBIAN_TOOLS, missingTools } from "./lib/tools.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";

/** The targets. */
const TARGETS = {
  staticVsReference: { kind: "min", value: 0.95 },
  staticVsAppServer: { kind: "min", value: 12 },
  staticVsDevServer: { kind: "min", value: 40 },
  staticVsWhiteNoise: { kind: "min", value: 10 },
  proxiedVsDirect: { kind: "min", value: 0.85 },
  proxiedVsDirectKeepalive: { kind: "min", value: 0.9 },
  fourReplicasVsOne: { kind: "min", value: 3.6 },
  busiestVsLeastBusy: { kind: "max", value: 1.2 },
} as const satisfies Record<string, Target>;

/** The Gunicorn baseline: 5 sync workers. */
const APP_WORKERS = 5;
/** Threads per gthread worker in b)'s keepalive rows. */
const GTHREAD_THREADS = 2;
/** Per replica in c): the slow endpoint waits, so few workers keep the run about replicas, not CPU. */
const SCALING_WORKERS = 2;
const SLOW_MS = 20;

interface Options {
  duration: number;
  connections: number;
  threads: number;
  rounds: number;
  server: "gunicorn" | "uwsgi";
  json?: string;
  strict: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "5" },
      connections: { type: "string", default: "32" },
      threads: { type: "string", default: "1" },
      rounds: { type: "string", default: "1" },
      server: { type: "string", default: "gunicorn" },
      json: { type: "string" },
      strict: { type: "boolean", default: false },
    },
    strict: true,
  });
  const positive = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${value}`);
    return n;
  };
  if (values.server !== "gunicorn" && values.server !== "uwsgi") {
    throw new Error(`--server must be gunicorn or uwsgi, got ${values.server}`);
  }
  return {
    duration: positive("duration", values.duration),
    connections: positive("connections", values.connections),
    threads: positive("threads", values.threads),
    rounds: positive("rounds", values.rounds),
    server: values.server,
    json: values.json,
    strict: values.strict,
  };
}

function manifest(server: Options["server"], workers: number, replicas: number, threads = 1) {
  return webAppManifest("bench", {
    app: {
      image: "registry.example.com/flask-sample:1",
      server,
      module: "app:app",
      workers,
      replicas,
      threads,
    },
    web: {},
    static: { fromImage: { path: "/app/staticfiles" } },
  });
}

/** A figure only means something if the URL answers what it should: a 404 is fast. */
async function expectAnswer(port: number, path: string, bytes?: number): Promise<void> {
  const res = await httpRequest({ port, path });
  if (res.status !== 200 || (bytes !== undefined && res.body.length !== bytes)) {
    throw new Error(
      `http://127.0.0.1:${port}${path} answered ${res.status} with ${res.body.length} bytes; expected 200` +
        (bytes === undefined ? "" : ` with ${bytes} bytes`),
    );
  }
}

/** The first line a tool prints about its version (nginx -v writes to stderr, the others to stdout). */
function toolVersion(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  return `${run.stdout ?? ""}${run.stderr ?? ""}`.trim().split("\n")[0] ?? command;
}

function toolVersions(): string {
  return [
    toolVersion(DEBIAN_TOOLS.nginx, ["-v"]),
    `gunicorn ${toolVersion(DEBIAN_TOOLS.gunicorn, ["--version"])}`,
    `uWSGI ${toolVersion(DEBIAN_TOOLS.uwsgi, ["--version"])}`,
    toolVersion(DEBIAN_TOOLS.wrk, ["-v"]),
  ].join(", ");
}

interface Measurement {
  url: string;
  countByHeader?: string;
}

/**
 * Runs every measurement `rounds` times, interleaved (A B C, A B C, ...), and keeps each one's
 * median run: load from other processes on a shared machine then hits all of them alike
 * instead of whichever happened to run at the wrong moment. One second of load warms each
 * URL first (imports, page cache).
 */
async function measureInterleaved<K extends string>(
  measurements: Record<K, Measurement>,
  options: Options,
): Promise<Record<K, WrkResult>> {
  const keys = Object.keys(measurements) as K[];
  const runs = new Map<K, WrkResult[]>(keys.map((k) => [k, []]));
  for (const key of keys) {
    await runWrk({ url: measurements[key].url, connections: options.connections, durationSeconds: 1 });
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const key of keys) {
      const { url, countByHeader } = measurements[key];
      const result = await runWrk({
        url,
        threads: options.threads,
        connections: options.connections,
        durationSeconds: options.duration,
        ...(countByHeader ? { countByHeader } : {}),
      });
      runs.get(key)?.push(result);
    }
  }
  const medians = {} as Record<K, WrkResult>;
  for (const key of keys) {
    const sorted = [...(runs.get(key) ?? [])].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    medians[key] = sorted[Math.floor(sorted.length / 2)] as WrkResult;
  }
  return medians;
}

/** The running rendered config with its one access_log off, on its own port and pid file. */
function withoutAccessLog(conf: string, port: number, dir: string): string {
  const replace = (text: string, from: RegExp, to: string) => {
    if (!from.test(text)) throw new Error(`withoutAccessLog: ${from} not found in the rendered nginx.conf`);
    return text.replace(from, to);
  };
  let out = replace(conf, /access_log \/dev\/stdout webapp[^;]*;/, "access_log off;");
  out = replace(out, /listen 127\.0\.0\.1:\d+ /, `listen 127.0.0.1:${port} `);
  return replace(out, /pid [^;]+;/, `pid ${dir}/nginx.pid;`);
}

const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

/** a) and b): the rendered topology with one replica, and the two references beside it. */
async function staticAndDynamic(
  options: Options,
  app: PreparedApp,
  workDir: string,
  serverName: string,
): Promise<{ rows: BenchRow[]; related: Map<BenchRow, WrkResult[]> }> {
  const rows: BenchRow[] = [];
  const related = new Map<BenchRow, WrkResult[]>();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const main = await startTopology({
      manifest: manifest(options.server, APP_WORKERS, 1),
      app: "flask",
      prepared: app,
    });
    stops.push(() => main.stop());
    const appPort = (main.replicas[0] as AppReplica).port;
    const rendered = main.nginxPort ?? 0;

    const referencePort = await freePort();
    const referenceDir = join(workDir, "reference-nginx");
    const reference = await startNginx({
      workDir: referenceDir,
      config: referenceNginxConfig({
        listenPort: referencePort,
        staticUrlPath: "/static/",
        staticDir: main.staticRoot ?? "",
        upstreams: [`127.0.0.1:${appPort}`],
        workDir: referenceDir,
        // What the rendered config uses, so the comparison is config against config.
        workerProcesses: "auto",
      }),
      port: referencePort,
      logFile: join(workDir, "reference-nginx.log"),
    });
    stops.push(() => reference.stop());

    const devPort = await freePort();
    const dev = flaskDevServerCommand(devPort);
    const devServer: RunningProcess = await startServer(dev.command, dev.args, {
      name: "werkzeug",
      cwd: app.cwd,
      env: { ...process.env, ...app.env },
      port: devPort,
      readyPath: app.healthPath,
      logFile: join(workDir, "werkzeug.log"),
    });
    stops.push(() => devServer.stop());

    const whiteNoisePort = await freePort();
    const whiteNoise = await startWhiteNoise(app, whiteNoisePort, join(workDir, "whitenoise.log"));
    stops.push(() => whiteNoise.stop());

    // Diagnostic only: the rendered config minus its per-request access log, to show what
    // that log costs on the proxied path (it is kept in production for a reason).
    const unloggedPort = await freePort();
    const unloggedDir = join(workDir, "rendered-unlogged");
    const unlogged = await startNginx({
      workDir: unloggedDir,
      config: withoutAccessLog(main.nginxConf ?? "", unloggedPort, unloggedDir),
      globalDirectives: [],
      port: unloggedPort,
      logFile: join(workDir, "rendered-unlogged.log"),
    });
    stops.push(() => unlogged.stop());

    for (const [file, bytes] of Object.entries(FLASK_BENCHMARK_FILES)) {
      const tenK = file === "10k.bin";
      const group = `a) static ${tenK ? "10 KB" : "1 MB"}`;
      await expectAnswer(rendered, `/static/${file}`, bytes);
      await expectAnswer(referencePort, `/static/${file}`, bytes);
      await expectAnswer(appPort, `/static-file/${file}`, bytes);
      await expectAnswer(devPort, `/static-file/${file}`, bytes);
      await expectAnswer(whiteNoisePort, `/static/${file}`, bytes);
      const r = await measureInterleaved(
        {
          rendered: { url: url(rendered, `/static/${file}`) },
          reference: { url: url(referencePort, `/static/${file}`) },
          appServer: { url: url(appPort, `/static-file/${file}`) },
          whiteNoise: { url: url(whiteNoisePort, `/static/${file}`) },
          devServer: { url: url(devPort, `/static-file/${file}`) },
        },
        options,
      );
      // Only the 10 KB file has targets; the 1 MB ratios are printed for the record.
      const compare = (result: WrkResult, target: Target) => ({
        label: "rendered ÷ this",
        ratio: r.rendered.requestsPerSecond / result.requestsPerSecond,
        ...(tenK ? { target } : {}),
      });
      const groupRows: BenchRow[] = [
        { group, server: "NGINX, rendered config", result: r.rendered },
        {
          group,
          server: "NGINX, bare reference config",
          result: r.reference,
          comparison: compare(r.reference, TARGETS.staticVsReference),
        },
        {
          group,
          server: `${serverName}, ${APP_WORKERS} workers, Flask send_from_directory`,
          result: r.appServer,
          comparison: compare(r.appServer, TARGETS.staticVsAppServer),
        },
        {
          group,
          server: `Gunicorn, ${APP_WORKERS} workers, WhiteNoise`,
          result: r.whiteNoise,
          comparison: compare(r.whiteNoise, TARGETS.staticVsWhiteNoise),
        },
        {
          group,
          server: "Werkzeug development server",
          result: r.devServer,
          comparison: compare(r.devServer, TARGETS.staticVsDevServer),
        },
      ];
      for (const row of groupRows) related.set(row, [r.rendered]);
      rows.push(...groupRows);
    }

    await expectAnswer(appPort, "/api/info");
    await expectAnswer(rendered, "/api/info");
    await expectAnswer(referencePort, "/api/info");
    const d = await measureInterleaved(
      {
        direct: { url: url(appPort, "/api/info") },
        rendered: { url: url(rendered, "/api/info") },
        reference: { url: url(referencePort, "/api/info") },
        unlogged: { url: url(unloggedPort, "/api/info") },
      },
      options,
    );
    const group = "b) dynamic JSON";
    const dynamicRows: BenchRow[] = [
      { group, server: `${serverName} direct, ${APP_WORKERS} workers`, result: d.direct },
      {
        group,
        server: "through NGINX, rendered config",
        result: d.rendered,
        comparison: {
          label: "this ÷ direct",
          ratio: d.rendered.requestsPerSecond / d.direct.requestsPerSecond,
          target: TARGETS.proxiedVsDirect,
        },
      },
      {
        group,
        server: "through NGINX, bare reference config",
        result: d.reference,
        comparison: {
          label: "this ÷ direct",
          ratio: d.reference.requestsPerSecond / d.direct.requestsPerSecond,
        },
      },
      {
        group,
        server: "through NGINX, rendered config minus its access_log (diagnostic)",
        result: d.unlogged,
        comparison: {
          label: "this ÷ direct",
          ratio: d.unlogged.requestsPerSecond / d.direct.requestsPerSecond,
        },
      },
    ];
    for (const row of dynamicRows) related.set(row, [d.direct]);
    rows.push(...dynamicRows);
    return { rows, related };
  } finally {
    await Promise.all(stops.map((stop) => stop()));
  }
}

/**
 * Gunicorn serving the static files itself through WhiteNoise: the rendered Gunicorn command line
 * (the same workers and flags as the app rows), with WhiteNoise's callable in place of the app's.
 */
async function startWhiteNoise(app: PreparedApp, port: number, logFile: string): Promise<RunningProcess> {
  const rendered = render(parseManifest(manifest("gunicorn", APP_WORKERS, 1)));
  const deployment = rendered.children.find((c) => c.role === "app-deployment")?.object as unknown as {
    spec: { template: { spec: { containers: { command: string[] }[] } } };
  };
  const command = [...(deployment.spec.template.spec.containers[0]?.command ?? [])];
  if (command.at(-1) !== "app:app")
    throw new Error(`the rendered Gunicorn command does not end with app:app`);
  command[command.length - 1] = FLASK_WHITENOISE_CALLABLE;
  const local = localAppCommand(command, port);
  return startServer(local.command, local.args, {
    name: "gunicorn whitenoise",
    cwd: app.cwd,
    env: { ...process.env, ...app.env, ...local.env },
    port,
    readyPath: "/static/10k.bin",
    logFile,
  });
}

/**
 * b) with Gunicorn's gthread workers, which keep connections alive: the rendered NGINX then keeps
 * its upstream connections too, instead of opening one per request.
 */
async function dynamicKeepalive(
  options: Options,
  app: PreparedApp,
): Promise<{ rows: BenchRow[]; related: Map<BenchRow, WrkResult[]> }> {
  const related = new Map<BenchRow, WrkResult[]>();
  const topology = await startTopology({
    manifest: manifest("gunicorn", APP_WORKERS, 1, GTHREAD_THREADS),
    app: "flask",
    prepared: app,
  });
  try {
    if (!topology.nginxConf?.includes("keepalive 32;"))
      throw new Error("the rendered nginx.conf for gthread workers keeps no upstream connections");
    const appPort = (topology.replicas[0] as AppReplica).port;
    await expectAnswer(appPort, "/api/info");
    await expectAnswer(topology.entryPort, "/api/info");
    const d = await measureInterleaved(
      {
        direct: { url: url(appPort, "/api/info") },
        rendered: { url: url(topology.entryPort, "/api/info") },
      },
      options,
    );
    const group = "b) dynamic JSON";
    const workers = `${APP_WORKERS} gthread workers × ${GTHREAD_THREADS} threads`;
    const rows: BenchRow[] = [
      { group, server: `Gunicorn direct, ${workers}`, result: d.direct },
      {
        group,
        server: "through NGINX, rendered config (upstream keepalive)",
        result: d.rendered,
        comparison: {
          label: "this ÷ direct",
          ratio: d.rendered.requestsPerSecond / d.direct.requestsPerSecond,
          target: TARGETS.proxiedVsDirectKeepalive,
        },
      },
    ];
    for (const row of rows) related.set(row, [d.direct]);
    return { rows, related };
  } finally {
    await topology.stop();
  }
}

/** c): one rendered topology per replica count, all up at once so their runs can interleave. */
async function scaling(
  options: Options,
  app: PreparedApp,
): Promise<{ rows: BenchRow[]; related: Map<BenchRow, WrkResult[]> }> {
  const rows: BenchRow[] = [];
  const related = new Map<BenchRow, WrkResult[]>();
  const topologies: Topology[] = [];
  const path = `/slow?ms=${SLOW_MS}`;
  try {
    for (const replicas of [1, 2, 4]) {
      topologies.push(
        await startTopology({
          manifest: manifest(options.server, SCALING_WORKERS, replicas),
          app: "flask",
          prepared: app,
        }),
      );
    }
    const [one, two, four] = topologies as [Topology, Topology, Topology];
    for (const t of topologies) await expectAnswer(t.entryPort, path);
    const r = await measureInterleaved(
      {
        one: { url: url(one.entryPort, path), countByHeader: "X-Served-By" },
        two: { url: url(two.entryPort, path), countByHeader: "X-Served-By" },
        four: { url: url(four.entryPort, path), countByHeader: "X-Served-By" },
      },
      options,
    );
    const group = `c) slow ${SLOW_MS} ms`;
    const entries = [
      [one, r.one],
      [two, r.two],
      [four, r.four],
    ] as const;
    for (const [topology, result] of entries) {
      const replicas = topology.replicas.length;
      const shares = replicaShares(
        result.counts,
        topology.replicas.map((replica) => replica.instance),
      );
      const row: BenchRow = {
        group,
        server: `${replicas} ${replicas === 1 ? "replica" : "replicas"} × ${SCALING_WORKERS} workers`,
        result,
        shares: shares.text,
        ...(replicas > 1
          ? {
              comparison: {
                label: "this ÷ 1 replica",
                ratio: result.requestsPerSecond / r.one.requestsPerSecond,
                ...(replicas === 4 ? { target: TARGETS.fourReplicasVsOne } : {}),
              },
            }
          : {}),
      };
      related.set(row, [r.one]);
      rows.push(row);
      if (replicas === 4) {
        const spreadRow: BenchRow = {
          group,
          server: "4 replicas: busiest ÷ least busy",
          comparison: { label: "requests", ratio: shares.spread, target: TARGETS.busiestVsLeastBusy },
        };
        related.set(spreadRow, [result]);
        rows.push(spreadRow);
      }
    }
    return { rows, related };
  } finally {
    await Promise.all(topologies.map((t) => t.stop()));
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const missing = missingTools({
    executables: [
      DEBIAN_TOOLS.python3,
      DEBIAN_TOOLS.nginx,
      DEBIAN_TOOLS.wrk,
      // Gunicorn always: the WhiteNoise reference runs on it.
      DEBIAN_TOOLS.gunicorn,
      ...(options.server === "uwsgi" ? [DEBIAN_TOOLS.uwsgi] : []),
    ],
    files: options.server === "uwsgi" ? [DEBIAN_TOOLS.uwsgiPython3Plugin] : [],
    pythonModules: ["flask", "whitenoise"],
  });
  if (missing.length > 0)
    throw new Error(`missing ${missing.join(", ")}: install the Debian packages .ci/run lists`);

  const serverName = options.server === "gunicorn" ? "Gunicorn" : "uWSGI";
  const workDir = await mkdtemp(join(tmpdir(), "webapp-bench-"));
  const rows: BenchRow[] = [];
  const related = new Map<BenchRow, WrkResult[]>();
  try {
    const app = await prepareApp("flask", join(workDir, "app"));
    for (const part of [
      await staticAndDynamic(options, app, workDir, serverName),
      // uWSGI keeps no upstream connections alive (see src/render/upstream-keepalive.ts).
      ...(options.server === "gunicorn" ? [await dynamicKeepalive(options, app)] : []),
      await scaling(options, app),
    ]) {
      rows.push(...part.rows);
      for (const [row, results] of part.related) related.set(row, results);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }

  const judged = rows.map((row) => ({ ...row, verdict: verdict(row, related.get(row)) }));
  const misses = judged.filter((r) => r.verdict === "MISS" || r.verdict === "INVALID");
  console.log(
    `wrk -t${options.threads} -c${options.connections} -d${options.duration}s on 127.0.0.1, ` +
      `median of ${options.rounds} interleaved ${options.rounds === 1 ? "run" : "runs"} per row; ` +
      `${cpus().length} CPUs; ${toolVersions()}; app server ${serverName}; ${new Date().toISOString()}\n`,
  );
  console.log(markdownTable(judged));
  console.log(`\n${targetsLine(judged.map((r) => r.verdict))}`);
  if (options.json) {
    const records = judged.map(({ result, ...row }) => ({
      ...row,
      result: result && { ...result, rawOutput: undefined },
    }));
    await writeFile(options.json, `${JSON.stringify(records, null, 2)}\n`);
  }
  if (options.strict && misses.length > 0) process.exitCode = 1;
}

// Ctrl-C: exit through process.exit so the process registry's exit hook kills every server.
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
