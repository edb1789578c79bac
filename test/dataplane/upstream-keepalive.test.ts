// Connections from NGINX to the app servers, for real. Where the app server keeps connections alive
// (Gunicorn's gthread workers), NGINX reuses them instead of opening one per request, and the app
// server keeps an idle one open longer than NGINX would reuse it, so NGINX never sends a request on a
// connection the server is closing. Sync workers close every connection, so NGINX keeps none.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";

const availability = dataPlaneAvailability(
  "upstream keepalive tests (test/dataplane/upstream-keepalive.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

/** Longer than Gunicorn's own default keep-alive (2 s), well within NGINX's upstream keepalive_timeout. */
const IDLE_MS = 4000;

/** Established TCP connections whose local port is `port` (the app server's side), from /proc/net/tcp. */
async function establishedTo(port: number): Promise<number> {
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "01" && Number.parseInt(local?.split(":")[1] ?? "", 16) === port) count++;
    }
  }
  return count;
}

for (const [label, app, keeps] of [
  ["gthread workers", { threads: 4 }, true],
  ["sync workers", {}, false],
] as const) {
  describe.skipIf(availability.skip)(`gunicorn ${label} behind NGINX`, () => {
    let topology: Topology | undefined;
    const appPort = () => topology?.replicas[0]?.port ?? 0;
    const get = () => httpRequest({ port: topology?.entryPort ?? 0, path: "/api/info" });

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("shop", {
          app: {
            image: "registry.example.com/flask-sample:1",
            module: "app:app",
            workers: 2,
            replicas: 1,
            ...app,
          },
          web: {},
        }),
        app: "flask",
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it(keeps
      ? "reuses one idle connection to the app server, which keeps it open while NGINX may reuse it"
      : "keeps no connection to the app server", async () => {
      for (let i = 0; i < 20; i++) expect((await get()).status).toBe(200);
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const idle = await establishedTo(appPort());
      expect(idle).toBe(keeps ? 1 : 0);
      for (let i = 0; i < 20; i++) expect((await get()).status).toBe(200);
      expect(await establishedTo(appPort())).toBe(keeps ? 1 : 0);
    }, 30_000);
  });
}
