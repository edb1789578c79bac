/**
 * The Django example's uploads volume, end to end: a file uploaded through NGINX to the app is served
 * back by NGINX from the volume, survives the replacement of every pod, and survives `kubectl delete
 * webapp` and a new `kubectl apply` (the media claim is kept). The deletion itself leaves nothing behind
 * but that claim's directory: no process any of the WebApp's pods started, no listening port.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { exampleWebApp, tierPods } from "../../hack/lib/node-agent-env.js";
import { waitFor } from "../../hack/lib/operator-env.js";
import { type E2e, e2eAvailability, NAMESPACE, useE2e } from "./support/e2e-env.js";
import { followPods, listenersOn, type PodTrail, processesOf } from "./support/leftovers.js";

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const availability = e2eAvailability("end-to-end: media and deletion (test/e2e/media-and-delete.test.ts)");
const OCTET = 158;
const NAME = "django-shop";
const HOST = { Host: "shop.example.com" };
const CLAIM = "django-shop-media";

describe.skipIf(availability.skip)("the uploads volume and the deletion of a WebApp", () => {
  let e: E2e;
  let trail: PodTrail;
  const content = `uploaded ${randomBytes(8).toString("hex")}\n`;
  let mediaUrl = "";

  const fetchUpload = async () => {
    const res = await e.request(NAME, mediaUrl, { headers: HOST });
    return {
      status: res.status,
      body: res.text(),
      server: res.headers.server,
      by: res.headers["x-served-by"],
    };
  };

  useE2e(OCTET, availability.kubectl, async (started) => {
    e = started;
    trail = followPods(e.env, NAMESPACE, NAME);
    await e.createDjangoSecret();
    await e.applyExample("django-app.yaml");
  });
  afterAll(() => trail?.stop());

  it("a file uploaded to the app lands on the volume, and NGINX serves it under /media/", async () => {
    const res = await e.request(NAME, "/media-uploads/notes.txt", {
      method: "POST",
      headers: { ...HOST, "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(content) },
      body: content,
    });
    expect(res.status).toBe(200);
    const saved = res.json<{ url: string; bytes: number }>();
    expect(saved.url).toMatch(/^\/media\/uploads\/notes(_\w+)?\.txt$/);
    mediaUrl = saved.url;
    const served = await fetchUpload();
    expect(served).toMatchObject({ status: 200, body: content, server: "nginx" });
    expect(served.by).toBeUndefined(); // from the volume, not from the app
    const dir = e.env.dc.volumeDirectory(NAMESPACE, CLAIM);
    expect(dir).toBeDefined();
    expect(readFileSync(join(dir!, mediaUrl.slice("/media/".length)), "utf8")).toBe(content);
  });

  it("survives the replacement of every pod", async () => {
    const before = [
      ...tierPods(e.env, NAMESPACE, NAME, "web"),
      ...tierPods(e.env, NAMESPACE, NAME, "app"),
    ].map((p) => p.metadata.name!);
    expect(before.length).toBeGreaterThanOrEqual(4);
    await e.kubectl.ok([
      "delete",
      "pods",
      "-n",
      NAMESPACE,
      "-l",
      `app.kubernetes.io/instance=${NAME}`,
      "--wait=false",
    ]);
    const pods = e.env.dc.registry.find("", "v1", "pods")!;
    await waitFor(
      () => {
        const names = e.env.dc.ops.list(pods, NAMESPACE, {}).items.map((p) => p.metadata.name!);
        return !names.some((n) => before.includes(n));
      },
      { timeoutMs: 120_000, message: "every old pod gone" },
    );
    await e.waitReady(NAME);
    expect(await fetchUpload()).toMatchObject({ status: 200, body: content, server: "nginx" });
  });

  it("kubectl delete webapp: no process of its pods and no port is left, the kept media directory stays", async () => {
    const dir = e.env.dc.volumeDirectory(NAMESPACE, CLAIM)!;
    const running = processesOf(trail);
    // The check below can fail: it finds the WebApp's processes while they run.
    expect(running.some((p) => p.includes("nginx"))).toBe(true);
    expect(running.some((p) => p.includes("uwsgi"))).toBe(true);
    const services = await e.kubectl.ok([
      "get",
      "services",
      "-n",
      NAMESPACE,
      "-l",
      `app.kubernetes.io/instance=${NAME}`,
      "-o",
      "jsonpath={range .items[*]}{.spec.clusterIP}:{.spec.ports[0].port}{'\\n'}{end}",
    ]);
    const entry = await e.address(NAME);
    const addresses = new Set([
      ...trail.ips,
      ...services.split("\n").filter(Boolean),
      `${entry.host}:${entry.port}`,
    ]);
    expect(listenersOn(addresses).length).toBeGreaterThanOrEqual(3);

    await e.kubectl.ok(["delete", "webapp", NAME, "-n", NAMESPACE]);
    await waitFor(() => processesOf(trail).length === 0, {
      timeoutMs: 120_000,
      intervalMs: 250,
      message: `no process of ${[...trail.names].join(", ")}`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nstill running:\n${processesOf(trail).join("\n")}`);
    });
    await waitFor(() => listenersOn(addresses).length === 0, {
      timeoutMs: 30_000,
      message: "no listener left",
    }).catch((err: Error) => {
      throw new Error(`${err.message}: ${listenersOn(addresses).join(", ")}`);
    });
    const left = await e.kubectl.ok([
      "get",
      "pods,deployments,services,configmaps,jobs",
      "-n",
      NAMESPACE,
      "-o",
      "name",
    ]);
    expect(left.split("\n").filter((l) => l.includes(NAME))).toEqual([]);
    // The claim is kept, bound, and its directory holds the upload.
    expect(await e.kubectl.ok(["get", "pvc", CLAIM, "-n", NAMESPACE, "-o", "jsonpath={.status.phase}"])).toBe(
      "Bound",
    );
    expect(existsSync(dir)).toBe(true);
    expect(readFileSync(join(dir, mediaUrl.slice("/media/".length)), "utf8")).toBe(content);
  });

  it("kubectl apply again: the new WebApp takes the kept claim, and the upload is served as before", async () => {
    await e.apply(exampleWebApp("django-app.yaml"));
    await e.waitReady(NAME);
    expect(await fetchUpload()).toMatchObject({ status: 200, body: content, server: "nginx" });
  });
});
