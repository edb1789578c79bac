// The rendered web stack for the Flask sample, run for real: NGINX on the rendered
// nginx.conf in front of app servers started with the rendered command, under Gunicorn and
// under uWSGI. Each test drives it over loopback the way a browser or a load balancer would.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  type InfoJson,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";
import { websocketRoundTrip } from "../../hack/lib/websocket.js";

const availability = dataPlaneAvailability(
  "rendered topology tests (test/dataplane/topology.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

const SITE_HOST = "shop.example.com";
const CLIENT_IP = "203.0.113.7";
const SPOOFED_IP = "198.51.100.66";
const MAX_AGE_SECONDS = 3600;
const ONE_MEBIBYTE = 1024 * 1024;
const SERVERS = ["gunicorn", "uwsgi"] as const;

describe("rendered topology: prerequisites", () => {
  it.skipIf(availability.skip)("NGINX, the Debian app servers and the Python packages are installed", () => {
    expect(availability.missing).toEqual([]);
  });
});

/** Polls a log until it contains text: the servers write their access lines asynchronously. */
async function waitForLog(read: () => Promise<string>, text: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let log = await read();
  while (!log.includes(text) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    log = await read();
  }
  return log;
}

for (const server of SERVERS) {
  describe.skipIf(availability.skip)(
    `${server}: 3 replicas behind NGINX, trusting 127.0.0.1 as a proxy`,
    () => {
      let topology: Topology | undefined;
      const port = () => topology?.entryPort ?? 0;

      beforeAll(async () => {
        topology = await startTopology({
          manifest: webAppManifest("shop", {
            app: {
              image: "registry.example.com/flask-sample:1",
              server,
              module: "app:app",
              workers: 2,
              replicas: 3,
            },
            web: { trustedProxies: ["127.0.0.1"], websockets: true, clientMaxBodySize: "1m" },
            static: { fromImage: { path: "/app/staticfiles" }, maxAgeSeconds: MAX_AGE_SECONDS },
          }),
          app: "flask",
        });
      });

      afterAll(async () => {
        await topology?.stop();
      });

      it("runs the app servers with the rendered command, only the bind address changed", () => {
        const rendered = topology?.renderedAppCommand ?? [];
        expect(rendered[0]).toBe(server);
        for (const replica of topology?.replicas ?? []) {
          const local = replica.process.commandLine;
          expect(local.slice(1).filter((arg, i) => arg !== rendered[i + 1])).toEqual([
            `127.0.0.1:${replica.port}`,
          ]);
        }
      });

      it("serves static files from NGINX with the configured cache headers, never from the app servers", async () => {
        const marker = `static-check-${Date.now()}`;
        const started = Date.now();
        const res = await httpRequest({ port: port(), path: "/static/10k.bin" });
        expect(res.status).toBe(200);
        expect(res.headers.server).toBe("nginx");
        expect(res.headers["cache-control"]).toBe(`max-age=${MAX_AGE_SECONDS}`);
        const expires = Date.parse(String(res.headers.expires));
        expect(Math.abs(expires - started - MAX_AGE_SECONDS * 1000)).toBeLessThan(5000);
        expect(res.body.equals(await readFile(join(topology?.app?.staticDir ?? "", "10k.bin")))).toBe(true);
        expect((await httpRequest({ port: port(), path: "/static/1m.bin" })).body.length).toBe(ONE_MEBIBYTE);
        expect((await httpRequest({ port: port(), path: "/static/missing.bin" })).status).toBe(404);

        // A dynamic request after them: once it shows in an access log, the static ones would have too.
        expect((await httpRequest({ port: port(), path: `/api/info?${marker}` })).status).toBe(200);
        const logs = await Promise.all(
          (topology?.replicas ?? []).map((r) => waitForLog(() => r.log(), marker, 1500)),
        );
        expect(logs.filter((log) => log.includes(marker))).toHaveLength(1);
        for (const log of logs) expect(log).not.toContain("/static/");
      });

      it("passes the Host, the client address and the scheme to the app as Flask sees them", async () => {
        const direct = (
          await httpRequest({ port: port(), path: "/api/info", headers: { Host: SITE_HOST } })
        ).json<InfoJson>();
        expect(direct.host).toBe(SITE_HOST);
        expect(direct.remote_addr).toBe("127.0.0.1");
        expect(direct.forwarded["X-Real-IP"]).toBe("127.0.0.1");
        expect(direct.scheme).toBe("http");
        expect(direct.is_secure).toBe(false);
      });

      it("believes X-Forwarded-For and X-Forwarded-Proto from the trusted proxy, taking the address it appended", async () => {
        const res = await httpRequest({
          port: port(),
          path: "/api/info",
          headers: {
            Host: SITE_HOST,
            // The left entry is what the client claimed; the trusted proxy appended the right one.
            "X-Forwarded-For": `${SPOOFED_IP}, ${CLIENT_IP}`,
            "X-Forwarded-Proto": "https",
            "X-Real-IP": SPOOFED_IP,
          },
        });
        expect(res.status).toBe(200);
        const info = res.json<InfoJson>();
        expect(info.remote_addr).toBe(CLIENT_IP);
        expect(info.forwarded["X-Real-IP"]).toBe(CLIENT_IP);
        // NGINX appends the client it resolved (not its peer, the trusted proxy), so an app always trusts
        // exactly one hop (NGINX), however many proxies stand in front of it.
        expect(info.forwarded["X-Forwarded-For"]?.split(", ").at(-1)).toBe(CLIENT_IP);
        expect(info.scheme).toBe("https");
        expect(info.is_secure).toBe(true);
        expect(info.host).toBe(SITE_HOST);
        // The access log is buffered for up to a second (ACCESS_LOG in the renderer).
        const accessLine = `"remote_addr":"${CLIENT_IP}"`;
        expect(await waitForLog(() => topology!.nginxLog(), accessLine, 3000)).toContain(accessLine);
      });

      it("accepts a body of exactly clientMaxBodySize and answers 413 to one byte more", async () => {
        const upload = (size: number) =>
          httpRequest({
            port: port(),
            path: "/upload",
            method: "POST",
            headers: { "Content-Type": "application/octet-stream", "Content-Length": size },
            body: Buffer.alloc(size, 0x62),
          });
        const atLimit = await upload(ONE_MEBIBYTE);
        expect(atLimit.status).toBe(200);
        expect(atLimit.json<{ bytes: number }>().bytes).toBe(ONE_MEBIBYTE);
        const over = await upload(ONE_MEBIBYTE + 1);
        expect(over.status).toBe(413);
        expect(over.headers.server).toBe("nginx");
      });

      it("passes a websocket upgrade through to the app", async () => {
        const result = await websocketRoundTrip({
          port: port(),
          path: "/ws/echo",
          headers: { Host: SITE_HOST },
          message: `through nginx to ${server}`,
        });
        expect(result.status).toBe(101);
        expect(result.acceptValid).toBe(true);
        expect(result.reply).toBe(`through nginx to ${server}`);
      });

      it("spreads requests over every replica", async () => {
        const counts = new Map<string, number>();
        const total = 60;
        for (let i = 0; i < total; i++) {
          const res = await httpRequest({ port: port(), path: "/api/info" });
          expect(res.status).toBe(200);
          const by = String(res.headers["x-served-by"]);
          counts.set(by, (counts.get(by) ?? 0) + 1);
        }
        const instances = (topology?.replicas ?? []).map((r) => r.instance).sort();
        expect(instances).toHaveLength(3);
        expect([...counts.keys()].sort()).toEqual(instances);
        // Round robin in each of NGINX's workers: every replica gets close to a third.
        for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(total / 3 - 5);
      });
    },
  );

  describe.skipIf(availability.skip)(`${server}: 1 replica behind NGINX with the default trust`, () => {
    let topology: Topology | undefined;
    const port = () => topology?.entryPort ?? 0;

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("shop", {
          app: {
            image: "registry.example.com/flask-sample:1",
            server,
            module: "app:app",
            workers: 3,
            replicas: 1,
            timeoutSeconds: 30,
          },
          web: { proxyTimeouts: { readSeconds: 3 } },
        }),
        app: "flask",
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it("ignores X-Forwarded-For, X-Real-IP and X-Forwarded-Proto from a client it does not trust", async () => {
      const res = await httpRequest({
        port: port(),
        path: "/api/info",
        headers: {
          Host: SITE_HOST,
          "X-Forwarded-For": SPOOFED_IP,
          "X-Forwarded-Proto": "https",
          "X-Real-IP": SPOOFED_IP,
        },
      });
      expect(res.status).toBe(200);
      const info = res.json<InfoJson>();
      expect(info.remote_addr).toBe("127.0.0.1");
      expect(info.forwarded["X-Real-IP"]).toBe("127.0.0.1");
      expect(info.scheme).toBe("http");
      expect(info.is_secure).toBe(false);
      expect(info.direct?.scheme).toBe("http");
    });

    it("does not upgrade to a websocket when websockets are off", async () => {
      const result = await websocketRoundTrip({ port: port(), path: "/ws/echo", message: "hello" });
      expect(result.status).not.toBe(101);
      expect(result.reply).toBeUndefined();
    });

    it("answers 504 when the app takes longer than proxyTimeouts.readSeconds", async () => {
      const started = performance.now();
      const res = await httpRequest({ port: port(), path: "/slow?ms=4000" });
      expect(res.status).toBe(504);
      expect(performance.now() - started).toBeLessThan(3900);
      expect(await topology?.nginxLog()).toContain("upstream timed out");
      expect((await httpRequest({ port: port(), path: "/slow?ms=100" })).status).toBe(200);
    });

    it("lets in-flight slow requests finish with 200 when the app server gets SIGTERM, then stops", async () => {
      const replica = topology?.replicas[0];
      if (!replica) throw new Error("no replica started");
      const slow = [1, 2].map(() => {
        const sent = performance.now();
        return httpRequest({ port: port(), path: "/slow?ms=1500" }).then((res) => ({
          res,
          doneAt: performance.now(),
          sent,
        }));
      });
      await new Promise((r) => setTimeout(r, 500));
      const signalledAt = performance.now();
      replica.process.signal("SIGTERM");
      const results = await Promise.all(slow);
      for (const { res, doneAt } of results) {
        expect(res.status).toBe(200);
        expect(res.json<{ slept_ms: number }>().slept_ms).toBe(1500);
        expect(doneAt).toBeGreaterThan(signalledAt);
      }
      const exit = await Promise.race([
        replica.process.exited,
        new Promise<"still running">((r) => setTimeout(r, 10_000, "still running")),
      ]);
      expect(exit).toEqual({ code: 0, signal: null });
      // Stopped, not reloaded: nothing answers behind NGINX any more.
      expect((await httpRequest({ port: port(), path: "/api/info" })).status).toBe(502);
    });
  });
}
