/**
 * kube-proxy's data path, in a worker thread of its own: the listeners and every forwarded byte. A real
 * kube-proxy forwards in the kernel, so a busy control plane never delays a packet; in one Node process,
 * forwarding on the main thread would wait behind every API request, controller pass and kubelet sync
 * (a rollout's worth of them stalls it for a few hundred milliseconds), and a test measuring latency
 * through a Service would measure the control plane instead. The main thread decides (which listeners,
 * which backends); the worker only listens and forwards, round-robin over the backends it was last given.
 *
 * The worker's code is a plain CommonJS string, run with `eval`: it needs nothing but node:net, and a
 * string runs the same from TypeScript sources (tsx, vitest) and from the compiled dist/.
 */
import { Worker } from "node:worker_threads";
import type { Backend } from "./endpoints.js";

export interface OpenResult {
  /** The port bound on the host address, or why it could not be. */
  host: { port?: number; error?: string };
  /** clusterIP:port bound, or why not; absent when not asked for. */
  cluster?: { port?: number; error?: string };
}

type WorkerMessage =
  | { op: "opened"; id: number; result: OpenResult }
  | { op: "open-connections"; id: number; count: number }
  | { op: "stopped" };

const WORKER_SOURCE = `
"use strict";
const { parentPort } = require("node:worker_threads");
const net = require("node:net");
const listeners = new Map(); // id -> { servers, backends, next, open }
const sockets = new Set();

function track(socket) {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
}

function forward(id, l, client) {
  track(client);
  if (l.backends.length === 0) {
    client.resetAndDestroy(); // no endpoint: refused, as kube-proxy's REJECT rule refuses it
    return;
  }
  const backend = l.backends[l.next++ % l.backends.length];
  const upstream = net.connect({ host: backend.host, port: backend.port });
  track(upstream);
  upstream.on("error", () => client.resetAndDestroy());
  client.on("error", () => upstream.destroy());
  upstream.on("connect", () => {
    l.open++;
    parentPort.postMessage({ op: "open-connections", id, count: l.open });
    upstream.once("close", () => {
      l.open--;
      parentPort.postMessage({ op: "open-connections", id, count: l.open });
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}

function listen(id, l, address, port) {
  return new Promise((resolve) => {
    const server = net.createServer((client) => forward(id, l, client));
    server.once("error", (e) => resolve({ error: e.message }));
    server.listen(port, address, () => {
      // Closed (the Service went, or the proxy stopped) while binding.
      if (listeners.get(id) !== l) {
        server.close();
        resolve({ error: "the Service is gone" });
        return;
      }
      l.servers.push(server);
      resolve({ port: server.address().port });
    });
  });
}

parentPort.on("message", async (m) => {
  if (m.op === "open") {
    const l = { servers: [], backends: m.backends, next: 0, open: 0 };
    listeners.set(m.id, l);
    const result = { host: await listen(m.id, l, m.hostAddress, 0) };
    if (m.clusterIP) result.cluster = await listen(m.id, l, m.clusterIP, m.port);
    parentPort.postMessage({ op: "opened", id: m.id, result });
  } else if (m.op === "backends") {
    const l = listeners.get(m.id);
    if (l) l.backends = m.backends;
  } else if (m.op === "close") {
    const l = listeners.get(m.id);
    listeners.delete(m.id);
    if (l) for (const s of l.servers) s.close();
  } else if (m.op === "stop") {
    const closing = [];
    for (const l of listeners.values())
      for (const s of l.servers) closing.push(new Promise((resolve) => s.close(() => resolve())));
    listeners.clear();
    for (const s of sockets) s.destroy();
    await Promise.all(closing);
    parentPort.postMessage({ op: "stopped" });
  }
});
`;

/** The main thread's handle on the forwarding worker. */
export class Forwarder {
  private readonly worker: Worker;
  private readonly opening = new Map<number, (r: OpenResult) => void>();
  private readonly openCounts = new Map<number, number>();
  private stopped: Promise<void> | undefined;
  private onStopped: (() => void) | undefined;

  constructor(onError: (message: string) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on("message", (m: WorkerMessage) => {
      if (m.op === "opened") {
        this.opening.get(m.id)?.(m.result);
        this.opening.delete(m.id);
      } else if (m.op === "open-connections") this.openCounts.set(m.id, m.count);
      else if (m.op === "stopped") this.onStopped?.();
    });
    this.worker.on("error", (e) => onError(`the forwarding thread failed: ${e.message}`));
    this.worker.on("exit", () => {
      for (const resolve of this.opening.values())
        resolve({ host: { error: "the forwarding thread ended" } });
      this.opening.clear();
      this.onStopped?.();
    });
  }

  /** Listens on hostAddress (a free port) and, when given, on clusterIP:port; forwards to `backends`. */
  open(id: number, hostAddress: string, clusterIP: string | undefined, port: number, backends: Backend[]) {
    return new Promise<OpenResult>((resolve) => {
      this.opening.set(id, resolve);
      this.worker.postMessage({ op: "open", id, hostAddress, clusterIP, port, backends });
    });
  }

  /** Where new connections go from now on; open ones stay where they are. */
  setBackends(id: number, backends: Backend[]): void {
    this.worker.postMessage({ op: "backends", id, backends });
  }

  close(id: number): void {
    this.openCounts.delete(id);
    this.worker.postMessage({ op: "close", id });
  }

  /** Connections of a listener forwarded to a backend and still open, as last reported. */
  openConnections(id: number): number {
    return this.openCounts.get(id) ?? 0;
  }

  /** Closes every listener and connection, then ends the thread. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.onStopped = resolve;
      if (this.worker.threadId < 0)
        resolve(); // already ended
      else this.worker.postMessage({ op: "stop" });
    }).then(async () => {
      await this.worker.terminate();
    });
    return this.stopped;
  }
}
