// The Host header of the app's probes, checked the way the kubelet sends it: straight to the app
// server, with the rendered probe's headers, against Django's ALLOWED_HOSTS. A wildcard Ingress host
// is not a host name a client can send, and Django answers it with 400, so the pods would never be Ready.
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
  "probe Host header tests (test/dataplane/probe-host.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

interface Probe {
  httpGet: { path: string; httpHeaders?: { name: string; value: string }[] };
}

/** The app container's readiness probe, as rendered. */
function readinessProbe(topology: Topology | undefined): Probe {
  const deployment = topology?.rendered.children.find((c) => c.role === "app-deployment")
    ?.object as unknown as {
    spec: { template: { spec: { containers: { readinessProbe: Probe }[] } } };
  };
  const probe = deployment?.spec.template.spec.containers[0]?.readinessProbe;
  if (!probe) throw new Error("the app Deployment has no readiness probe");
  return probe;
}

/** What the kubelet does: GET the probe's path on the pod, with the probe's headers. */
async function probeStatus(topology: Topology | undefined): Promise<number> {
  const probe = readinessProbe(topology);
  const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
  const res = await httpRequest({
    port: topology?.replicas[0]?.port ?? 0,
    path: probe.httpGet.path,
    headers,
  });
  return res.status;
}

const cases = [
  // Django's usual way to allow every subdomain: a leading dot, which also allows the domain itself.
  ["a wildcard Ingress host", { host: "*.example.com" }, {}, [".example.com"]],
  ["a plain Ingress host", { host: "shop.example.com" }, {}, ["shop.example.com"]],
  ["a host the user names", { host: "*.example.com" }, { host: "health.internal" }, ["health.internal"]],
] as const;

for (const [label, ingress, healthCheck, allowedHosts] of cases) {
  describe.skipIf(availability.skip)(`django's probes with ${label}`, () => {
    let topology: Topology | undefined;

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("shop", {
          app: {
            image: "registry.example.com/django-sample:1",
            module: "mysite.wsgi:application",
            workers: 1,
            replicas: 1,
            // A path that Django's host check covers (the sample answers /healthz before it).
            healthCheck: { path: "/api/info", ...healthCheck },
          },
          ingress,
        }),
        app: "django",
        allowedHosts,
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it("sends a Host that Django's ALLOWED_HOSTS accepts", async () => {
      expect(await probeStatus(topology)).toBe(200);
    });
  });
}
