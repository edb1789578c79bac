// NGINX and the app server agree on how large a request line and its headers may be, so a client
// whose request is too large gets NGINX's clear answer (414 or 400 with a reason) and every request
// NGINX passes on is one the app server accepts (not a bare 400 from Gunicorn or a 502 from uWSGI).
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
  "request size limit tests (test/dataplane/request-limits.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

/** A path whose request line (`GET <path> HTTP/1.1`) is exactly `lineLength` bytes long. */
function pathForRequestLine(lineLength: number): string {
  const prefix = "/api/info?q=";
  return prefix + "a".repeat(lineLength - "GET  HTTP/1.1".length - prefix.length);
}

for (const server of ["gunicorn", "uwsgi"] as const) {
  describe.skipIf(availability.skip)(`${server} behind NGINX: request size limits`, () => {
    let topology: Topology | undefined;
    const get = (path: string, headers: Record<string, string> = {}) =>
      httpRequest({ port: topology?.entryPort ?? 0, path, headers });

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("limits", {
          app: {
            image: "registry.example.com/flask-sample:1",
            server,
            module: "app:app",
            workers: 1,
            replicas: 1,
          },
          web: {},
        }),
        app: "flask",
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it("passes every request line NGINX accepts to the app, up to its 8 KB buffer", async () => {
      for (const length of [4000, 4100, 6000, 8100]) {
        const res = await get(pathForRequestLine(length));
        expect(res.status, `request line of ${length} bytes`).toBe(200);
        expect(res.headers["x-served-by"]).toBe("limits-app-0");
      }
    });

    it("answers a longer request line itself, with 414", async () => {
      const res = await get(pathForRequestLine(9000));
      expect(res.status).toBe(414);
      expect(res.headers.server).toBe("nginx");
    });

    it("passes 200 headers and a 7 KB cookie to the app", async () => {
      const headers: Record<string, string> = { Cookie: `session=${"c".repeat(7000)}` };
      for (let i = 0; i < 200; i++) headers[`X-Extra-${i}`] = `value-${i}`;
      const res = await get("/api/info", headers);
      expect(res.status).toBe(200);
      expect(res.headers["x-served-by"]).toBe("limits-app-0");
    });
  });
}
