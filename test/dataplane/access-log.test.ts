// NGINX's access log on the rendered config, run for real: lines are buffered (one write per 4 KB
// instead of one per request) and still reach the container's stdout within about a second, and
// with two workers writing at once every line stays whole (each write is at most what a pipe
// writes atomically).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";
import { ACCESS_LOG } from "../../src/render/nginx/nginx-conf.js";

const availability = dataPlaneAvailability(
  "access log tests (test/dataplane/access-log.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

describe.skipIf(availability.skip)("the access log of the rendered NGINX", () => {
  let topology: Topology | undefined;

  beforeAll(async () => {
    topology = await startTopology({
      manifest: webAppManifest("logs", {
        app: { image: "registry.example.com/flask-sample:1", module: "app:app", workers: 2, replicas: 1 },
        // Two CPUs: two NGINX workers, whose buffers are written to the same stdout.
        web: { resources: { limits: { cpu: "2" } } },
        static: { fromImage: { path: "/app/staticfiles" } },
      }),
      app: "flask",
    });
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it("is buffered, 4 KB at most per write, flushed within a second", () => {
    expect(topology!.nginxConf).toMatch(
      new RegExp(
        `access_log /dev/stdout webapp buffer=${ACCESS_LOG.bufferKiB}k flush=${ACCESS_LOG.flushSeconds}s;`,
      ),
    );
    expect(topology!.nginxConf).toMatch(/worker_processes 2;/);
    expect(ACCESS_LOG.bufferKiB * 1024).toBeLessThanOrEqual(4096); // PIPE_BUF on Linux
  });

  it("keeps every line whole under concurrent requests, each one logged within about a second", async () => {
    const before = (await topology!.nginxLog()).length;
    const count = 400;
    const started = Date.now();
    // Fresh connections, 50 at a time, so both workers take requests.
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, j) =>
          httpRequest({ port: topology!.entryPort, path: `/api/info?n=${i + j}` }),
        ),
      );
    }
    const sent = Date.now();
    let lines: string[] = [];
    for (;;) {
      lines = (await topology!.nginxLog())
        .slice(before)
        .split("\n")
        .filter((l) => l.includes("/api/info?n="));
      if (lines.length >= count || Date.now() - sent > 5000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const waited = Date.now() - sent;
    console.log(
      `access log: ${lines.length} lines ${waited} ms after the last of ${count} requests (sent in ${sent - started} ms)`,
    );
    expect(lines).toHaveLength(count);
    expect(waited).toBeLessThan(ACCESS_LOG.flushSeconds * 1000 + 1500);
    const seen = new Set<string>();
    for (const line of lines) {
      const entry = JSON.parse(line) as { uri?: string; status?: number };
      expect(entry.status).toBe(200);
      seen.add(/n=(\d+)/.exec(entry.uri ?? "")?.[1] ?? "");
    }
    expect(seen.size).toBe(count);
  });
});
