/**
 * The constant-rate load of the rollout tests and benchmark counts what the server did: every 5xx,
 * reset and timeout is a failure, answers are counted by replica, and the rate holds. Against a local
 * server whose own counts are the reference.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { percentile, startSteadyLoad } from "../../hack/lib/steady-load.js";
import { startLoadProcess } from "../../hack/lib/steady-load-process.js";

let server: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handler);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

describe("steady load", () => {
  it("counts 5xx answers and reset connections as failures, and answers by replica", async () => {
    let n = 0;
    const seen = { ok: 0, error: 0, reset: 0 };
    const port = await listen((req, res) => {
      n++;
      if (n % 10 === 0) {
        seen.error++;
        res.writeHead(503).end();
      } else if (n % 10 === 5) {
        seen.reset++;
        req.socket.resetAndDestroy();
      } else {
        seen.ok++;
        res.writeHead(200, { "X-Served-By": n % 2 ? "pod-a" : "pod-b" }).end("ok");
      }
    });
    const load = startSteadyLoad({
      host: "127.0.0.1",
      port,
      path: "/",
      ratePerSecond: 100,
      countByHeader: "X-Served-By",
    });
    await new Promise((r) => setTimeout(r, 1500));
    const report = await load.stop();
    expect(report.requests).toBe(n);
    expect(report.requests).toBeGreaterThanOrEqual(120);
    expect(report.ratePerSecond).toBeGreaterThan(80);
    expect(report.minPerSecond).toBeGreaterThan(50);
    expect(report.failed).toBe(seen.error + seen.reset);
    expect(report.ok).toBe(seen.ok);
    expect(report.statuses["503"]).toBe(seen.error);
    expect(report.statuses.ECONNRESET).toBe(seen.reset);
    expect((report.servedBy["pod-a"] ?? 0) + (report.servedBy["pod-b"] ?? 0)).toBe(seen.ok);
    expect(report.firstFailures.length).toBe(Math.min(10, report.failed));
  });

  it("a request without an answer in time is a failure, and requests beyond maxInFlight are skipped", async () => {
    const port = await listen(() => {}); // never answers
    const load = startSteadyLoad({
      host: "127.0.0.1",
      port,
      path: "/",
      ratePerSecond: 50,
      timeoutMs: 300,
      maxInFlight: 3,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();
    expect(report.failed).toBe(report.requests);
    expect(report.statuses.timeout).toBe(report.requests);
    expect(report.skipped).toBeGreaterThan(0);
  });

  it("reports on a window of the run", async () => {
    const port = await listen((_req, res) => res.end("ok"));
    const load = startSteadyLoad({ host: "127.0.0.1", port, path: "/", ratePerSecond: 100 });
    await new Promise((r) => setTimeout(r, 600));
    const middle = load.elapsedMs();
    await new Promise((r) => setTimeout(r, 600));
    const all = await load.stop();
    const first = load.report(0, middle);
    const second = load.report(middle);
    expect(first.requests + second.requests).toBe(all.requests);
    expect(first.requests).toBeGreaterThan(30);
    expect(second.requests).toBeGreaterThan(30);
  });

  it("runs in a process of its own and reports windows on its clock", async () => {
    let served = 0;
    const port = await listen((_req, res) => {
      served++;
      res.end("ok");
    });
    const load = await startLoadProcess({ host: "127.0.0.1", port, path: "/", ratePerSecond: 100 });
    try {
      await new Promise((r) => setTimeout(r, 600));
      const middle = load.elapsedMs();
      await new Promise((r) => setTimeout(r, 600));
      const { total, windows } = await load.stop([
        [0, middle],
        [middle, Number.POSITIVE_INFINITY],
      ]);
      expect(total.requests).toBe(served);
      expect(total.failed).toBe(0);
      expect(windows[0]!.requests + windows[1]!.requests).toBe(total.requests);
      expect(windows[0]!.requests).toBeGreaterThan(30);
      expect(windows[1]!.requests).toBeGreaterThan(30);
    } finally {
      load.kill();
    }
  });

  it("refuses addresses outside loopback", () => {
    expect(() => startSteadyLoad({ host: "10.0.0.1", port: 80, path: "/", ratePerSecond: 1 })).toThrow(
      "host must be in 127.0.0.0/8",
    );
  });

  it("percentiles by nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });
});
