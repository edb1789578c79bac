// Pods running the real data plane through the node agent: NGINX (a ConfigMap nginx.conf) and Gunicorn
// with the Flask sample become Ready through real probes and answer HTTP on their pod addresses; the
// operator's own rendered pods for examples/flask-app.yaml serve dynamic pages through NGINX and static
// files from NGINX; kill -9 of a container's process restarts it.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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
  status,
  waitFor,
  waitReady,
} from "./node-helpers.js";

// Real processes on a shared 2-core machine: a test's own deadlines (waitFor) decide, not the default 30 s.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

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
  const claims = mkdtempSync(join(tmpdir(), "node-dataplane-claims-"));
  chmodSync(claims, 0o755);

  beforeAll(async () => {
    cluster = await nodeCluster(OCTET, {
      imageMap: join(ROOT, "examples", "apps", "image-map.yaml"),
      resolveService: endpointsResolver(() => cluster),
      // A stand-in for the provisioner: every claim gets a directory of its own.
      volumeDirectory: (namespace, claim) => {
        const dir = join(claims, `${namespace}-${claim}`);
        mkdirSync(dir, { recursive: true });
        return dir;
      },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(claims, { recursive: true, force: true });
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
    await waitReady(cluster, "flask", 60_000);
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
    await waitReady(cluster, "web", 30_000);
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

  /** The operator's objects for an example, with one pod per Deployment bound to the node. */
  function runRendered(example: string): void {
    const webapp = parseManifest(readFileSync(join(ROOT, "examples", example), "utf8"));
    const objects = render(webapp).objects as unknown as KubeObject[];
    for (const o of objects.filter((o) => ["ConfigMap", "Service", "PersistentVolumeClaim"].includes(o.kind)))
      cluster.apply(o);
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
      const template = (d.spec as { template: { metadata: JsonObject; spec: JsonObject } }).template;
      cluster.apply({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${d.metadata.name}-0`, namespace: "default", labels: template.metadata.labels },
        spec: { ...template.spec, nodeName: "devcluster-node" },
      } as never);
    }
  }

  function trackPids(...names: string[]): void {
    for (const name of names)
      pids.push(
        ...cluster
          .nodeAgent!.worker("default", name)!
          .containers.map((c) => c.pid!)
          .filter(Boolean),
      );
  }

  it("runs the operator's rendered pods for examples/flask-app.yaml: pages through NGINX, static files from NGINX", async () => {
    runRendered("flask-app.yaml");
    const web = "flask-demo-web-0";
    const app = "flask-demo-app-0";
    await waitReady(cluster, app, 90_000);
    await waitReady(cluster, web, 60_000);
    const page = await httpRequest({ host: ipOf(web), port: 8080, path: "/api/info" });
    expect(page.status).toBe(200);
    expect(page.json()).toMatchObject({ instance: app });
    const file = await httpRequest({ host: ipOf(web), port: 8080, path: "/static/10k.bin" });
    expect(file.status).toBe(200);
    expect(file.body.length).toBe(10 * 1024);
    expect(file.headers["cache-control"]).toMatch(/max-age=/);
    trackPids(web, app);
  });

  it("runs the rendered pods for examples/django-app.yaml: uWSGI behind NGINX, the collected static files from NGINX", async () => {
    cluster.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "django-shop-secrets", namespace: "default" },
      stringData: { SECRET_KEY: "node-agent-test-key" },
    } as never);
    runRendered("django-app.yaml");
    const web = "django-shop-web-0";
    const app = "django-shop-app-0";
    await waitReady(cluster, app, 120_000);
    await waitReady(cluster, web, 60_000);
    const page = await httpRequest({
      host: ipOf(web),
      port: 8080,
      path: "/",
      headers: { Host: "shop.example.com" },
    });
    expect(page.status).toBe(200);
    const css = /\/static\/pages\/site\.[0-9a-f]{12}\.css/.exec(page.text())?.[0];
    expect(css, page.text()).toBeDefined();
    const sheet = await httpRequest({ host: ipOf(web), port: 8080, path: css! });
    expect(sheet.status).toBe(200);
    expect(sheet.headers["content-type"]).toMatch(/text\/css/);
    expect(sheet.headers["x-served-by"]).toBeUndefined();
    trackPids(web, app);
  });

  it("runs the rendered pods for examples/static-site.yaml: the docs site from NGINX alone", async () => {
    runRendered("static-site.yaml");
    const web = "docs-site-web-0";
    await waitReady(cluster, web, 60_000);
    const index = await httpRequest({ host: ipOf(web), port: 8080, path: "/" });
    expect(index.status).toBe(200);
    expect(index.text()).toContain("<h1>docs-site</h1>");
    const guide = await httpRequest({ host: ipOf(web), port: 8080, path: "/guide/" });
    expect(guide.text()).toContain("<h1>Guide</h1>");
    const css = await httpRequest({ host: ipOf(web), port: 8080, path: "/css/site.css" });
    expect([css.status, css.headers["content-type"]]).toEqual([200, "text/css"]);
    trackPids(web);
  });

  it("runs the rendered pod for examples/app-only.yaml: the plain-WSGI prototype under Gunicorn", async () => {
    runRendered("app-only.yaml");
    const app = "api-prototype-app-0";
    await waitReady(cluster, app, 60_000);
    const info = await httpRequest({ host: ipOf(app), port: 8000, path: "/api/info" });
    expect(info.status).toBe(200);
    expect(info.json()).toMatchObject({ framework: "wsgi", instance: app });
    trackPids(app);
  });
});
