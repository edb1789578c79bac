// Slow and idle clients against the rendered NGINX, for real: thousands of half-sent requests must
// not take the pod's health endpoint down (Kubernetes would restart the pod), and NGINX must drop a
// client that stops sending instead of holding its connection for a minute.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";
import { NGINX_HEALTH_PATH } from "../../src/render/index.js";

const availability = dataPlaneAvailability(
  "slow client tests (test/dataplane/slow-clients.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

/** More idle connections than the 4,096 a worker had before; what took a pod down in production. */
const FLOOD = 4800;
/** Connections opened at once: few enough that NGINX reads each one's bytes before the next arrive. */
const BATCH = 50;
/** How long a half-sent request may keep its connection: the rendered client_header_timeout, with room for a loaded machine. */
const HEADER_DEADLINE_MS = 25_000;

/** Opens a connection and sends a request's first lines but never the blank line that ends it. */
function halfSentRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write("GET / HTTP/1.1\r\nHost: shop.example.com\r\nX-Slow: ");
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

describe.skipIf(availability.skip)("the rendered NGINX under idle, half-sent requests", () => {
  let topology: Topology | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    topology = await startTopology({
      manifest: webAppManifest("shop", {
        app: { image: "registry.example.com/flask-sample:1", module: "app:app", workers: 1, replicas: 1 },
        web: {},
      }),
      app: "flask",
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await topology?.stop();
  });

  it(`keeps answering its health endpoint with ${FLOOD} half-sent requests open`, async () => {
    const port = topology?.entryPort ?? 0;
    const open = () => sockets.filter((s) => !s.destroyed && !s.closed).length;
    // Like an attacker, replace every connection NGINX drops until FLOOD are open at once, or NGINX
    // has refused as many again (it is full).
    let attempts = 0;
    while (open() < FLOOD && attempts < 2 * FLOOD) {
      const n = Math.min(BATCH, FLOOD - open());
      attempts += n;
      const batch = await Promise.allSettled(Array.from({ length: n }, () => halfSentRequest(port)));
      for (const r of batch) if (r.status === "fulfilled") sockets.push(r.value.on("error", () => {}));
      // Let NGINX read what each sent: a connection it has read nothing from yet is one it may
      // drop when out of room, which an attacker trickling bytes never lets it do.
      await new Promise((r) => setTimeout(r, 25));
    }
    const probes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await httpRequest({ port, path: NGINX_HEALTH_PATH, timeoutMs: 3000 }).catch(
        () => undefined,
      );
      probes.push(res?.status ?? 0);
    }
    expect(probes).toEqual([200, 200, 200, 200, 200]);
    expect(open()).toBe(FLOOD);
    const app = await httpRequest({ port, path: "/api/info", timeoutMs: 5000 });
    expect(app.status).toBe(200);
    for (const s of sockets.splice(0)) s.destroy();
  }, 60_000);

  it("closes a connection whose request headers stop arriving, well before a minute", async () => {
    const socket = await halfSentRequest(topology?.entryPort ?? 0);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), HEADER_DEADLINE_MS);
      socket.on("error", () => {});
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
    });
    socket.destroy();
    expect(closedAfter).toBeLessThan(HEADER_DEADLINE_MS);
  }, 40_000);
});
