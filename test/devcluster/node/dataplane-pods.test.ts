// Pods running the real data plane through the node agent: NGINX (a ConfigMap nginx.conf) and Gunicorn
// with the Flask sample become Ready through real probes and answer HTTP on their pod addresses; the
// operator's own rendered pods for examples/flask-app.yaml serve dynamic pages through NGINX and static
// files from NGINX; kill -9 of a container's process restarts it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_PLANE_REQUIREMENTS, parseManifest } from "../../../hack/lib/harness/index.js";
import { httpRequest } from "../../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../../hack/lib/tools.js";
import type { DevCluster } from "../../../src/devcluster/index.js";
import { isObject, type JsonObject, type KubeObject } from "../../../src/devcluster/types.js";
import { render } from "../../../src/render/index.js";
import { ROOT } from "../../fixtures/webapps.js";
import {
  alive,
  containerStatus,
  getPod,
  listenersIn,
  nodeCluster,
  pod,
  podReady,
  status,
  waitFor,
} from "./node-helpers.js";

const availability = dataPlaneAvailability(
  "node agent data-plane pods (test/devcluster/node/dataplane-pods.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);
const OCTET = 43;
const FLASK_IMAGE = "registry.example.com/flask-demo:1.0.0";
const NGINX_IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine";

/** Service names to the addresses of the ready pods they select (what kube-proxy would reach). */
function endpointsResolver(cluster: () => DevCluster) {
  return (host: string, port: number, namespace: string): string[] => {
    const [name, ns = namespace] = host.split(".");
    const svc = cluster().get("v1", "Service", ns, name ?? "");
    const selector = svc && isObject(svc.spec) && isObject(svc.spec.selector) ? svc.spec.selector : undefined;
    if (!selector) return [];
    const rt = cluster().registry.find("", "v1", "pods")!;
    return cluster()
      .ops.list(rt, ns, {})
      .items.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
      .map((p) => status(p).podIP)
      .filter((ip): ip is string => typeof ip === "string")
      .map((ip) => `${ip}:${port}`);
  };
}

function labelled(name: string, spec: JsonObject, labels: Record<string, string>): KubeObject {
  const p = pod(name, spec);
  p.metadata.labels = labels;
  return p;
}

describe("node agent data plane: prerequisites", () => {
  it.skipIf(availability.skip)("NGINX, the Debian app servers and the Python packages are installed", () => {
    expect(availability.missing).toEqual([]);
  });
});

describe.skipIf(availability.skip)("node agent: NGINX and Gunicorn pods for real", () => {
  let cluster: DevCluster;
  const pids: number[] = [];

  beforeAll(async () => {
    cluster = await nodeCluster(OCTET, {
      imageMap: join(ROOT, "examples", "apps", "image-map.yaml"),
      resolveService: endpointsResolver(() => cluster),
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(listenersIn(OCTET)).toEqual([]);
  });

  const get = (name: string) => getPod(cluster, name);
  const ipOf = (name: string) => String(status(get(name)).podIP);

  it("a Gunicorn pod running the Flask sample becomes Ready through its probes and answers on its own address", async () => {
    cluster.apply(
      labelled(
        "flask",
        {
          securityContext: { runAsUser: 10001, runAsGroup: 10001, runAsNonRoot: true },
          containers: [
            {
              name: "app",
              image: FLASK_IMAGE,
              command: [
                "gunicorn",
                "--bind",
                "0.0.0.0:8000",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                "app:app",
              ],
              ports: [{ name: "http", containerPort: 8000 }],
              startupProbe: {
                httpGet: { path: "/healthz", port: "http" },
                periodSeconds: 1,
                failureThreshold: 60,
              },
              readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 2 },
              livenessProbe: { httpGet: { path: "/healthz", port: 8000 }, periodSeconds: 5 },
            },
          ],
        },
        { app: "flask" },
      ),
    );
    await waitFor(
      "flask Ready",
      () => podReady(get("flask")),
      60_000,
      () => status(get("flask")),
    );
    const res = await httpRequest({ host: ipOf("flask"), port: 8000, path: "/api/info" });
    expect(res.status).toBe(200);
    const info = res.json<JsonObject>();
    expect(info.instance).toBe("flask");
    expect(String(info.server)).toMatch(/^gunicorn/);
    const pid = cluster.nodeAgent!.worker("default", "flask")!.containers[0]!.pid!;
    pids.push(pid);
    if (process.getuid?.() === 0) {
      // As the pod's runAsUser, as a container runtime would run it.
      expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Uid:\t10001\t/m);
    }
  });

  it("an NGINX pod on a ConfigMap nginx.conf becomes Ready and proxies to the Flask pod by Service name", async () => {
    cluster.apply({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "flask", namespace: "default" },
      spec: { selector: { app: "flask" }, ports: [{ port: 8000 }] },
    } as never);
    cluster.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "web-conf", namespace: "default" },
      data: {
        "nginx.conf": [
          "daemon off;",
          "error_log stderr;",
          "events {}",
          "http {",
          "  include /etc/nginx/mime.types;",
          "  access_log /dev/stdout;",
          "  upstream app { server flask.default.svc:8000; }",
          "  server {",
          "    listen 8080;",
          "    listen [::]:8080;",
          "    location = /healthz { return 200 'ok'; }",
          "    location / { proxy_pass http://app; }",
          "  }",
          "}",
        ].join("\n"),
      },
    } as never);
    cluster.apply(
      pod("web", {
        securityContext: { runAsUser: 101, runAsGroup: 101 },
        volumes: [
          { name: "conf", configMap: { name: "web-conf" } },
          { name: "tmp", emptyDir: {} },
        ],
        containers: [
          {
            name: "nginx",
            image: NGINX_IMAGE,
            command: ["nginx", "-c", "/etc/nginx/conf/nginx.conf"],
            ports: [{ name: "http", containerPort: 8080 }],
            volumeMounts: [
              { name: "conf", mountPath: "/etc/nginx/conf" },
              { name: "tmp", mountPath: "/tmp" },
            ],
            readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1 },
          },
        ],
      }),
    );
    await waitFor(
      "web Ready",
      () => podReady(get("web")),
      30_000,
      () => status(get("web")),
    );
    const health = await httpRequest({ host: ipOf("web"), port: 8080, path: "/healthz" });
    expect([health.status, health.text()]).toEqual([200, "ok"]);
    const proxied = await httpRequest({ host: ipOf("web"), port: 8080, path: "/api/info" });
    expect(proxied.status).toBe(200);
    expect(proxied.json()).toMatchObject({ instance: "flask" });
    pids.push(cluster.nodeAgent!.worker("default", "web")!.containers[0]!.pid!);
  });

  it("restarts a container whose process is killed with SIGKILL: restartCount 1, lastState shows the signal", async () => {
    const pid = cluster.nodeAgent!.worker("default", "flask")!.containers[0]!.pid!;
    process.kill(pid, "SIGKILL");
    const c = await waitFor(
      "a restart",
      () => {
        const s = containerStatus(get("flask"), "app");
        return s?.restartCount === 1 && s.ready === true && s;
      },
      60_000,
      () => containerStatus(get("flask"), "app"),
    );
    expect(c.lastState).toMatchObject({ terminated: { exitCode: 137, signal: 9, reason: "Error" } });
    expect(alive(pid)).toBe(false);
    const res = await httpRequest({ host: ipOf("flask"), port: 8000, path: "/healthz" });
    expect(res.status).toBe(200);
    pids.push(cluster.nodeAgent!.worker("default", "flask")!.containers[0]!.pid!);
  });

  it("runs the operator's rendered pods for examples/flask-app.yaml: pages through NGINX, static files from NGINX", async () => {
    const webapp = parseManifest(readFileSync(join(ROOT, "examples", "flask-app.yaml"), "utf8"));
    const objects = render(webapp).objects as unknown as KubeObject[];
    for (const o of objects.filter((o) => o.kind === "ConfigMap" || o.kind === "Service")) cluster.apply(o);
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
      const template = (d.spec as { template: { metadata: JsonObject; spec: JsonObject } }).template;
      cluster.apply({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${d.metadata.name}-0`, namespace: "default", labels: template.metadata.labels },
        spec: { ...template.spec, nodeName: "devcluster-node" },
      } as never);
    }
    const web = "flask-demo-web-0";
    const app = "flask-demo-app-0";
    await waitFor(
      "app Ready",
      () => podReady(get(app)),
      90_000,
      () => status(get(app)),
    );
    await waitFor(
      "web Ready",
      () => podReady(get(web)),
      60_000,
      () => status(get(web)),
    );
    const page = await httpRequest({ host: ipOf(web), port: 8080, path: "/api/info" });
    expect(page.status).toBe(200);
    expect(page.json()).toMatchObject({ instance: app });
    const file = await httpRequest({ host: ipOf(web), port: 8080, path: "/static/10k.bin" });
    expect(file.status).toBe(200);
    expect(file.body.length).toBe(10 * 1024);
    expect(file.headers["cache-control"]).toMatch(/max-age=/);
    for (const name of [web, app])
      pids.push(
        ...cluster
          .nodeAgent!.worker("default", name)!
          .containers.map((c) => c.pid!)
          .filter(Boolean),
      );
  });
});
