// Request bodies NGINX buffers on disk, for real: stalled uploads must not hold the node's disk. NGINX
// drops an upload that stops sending (and deletes its temp file) after the body timeout, and the
// rendered pod bounds the temp volume and the containers' ephemeral storage.

import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";
import { type KubeObject, render } from "../../src/render/index.js";
import { validWebApp } from "../fixtures/webapps.js";

const availability = dataPlaneAvailability(
  "stalled upload tests (test/dataplane/upload-disk.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

const MIB = 1024 * 1024;
const UPLOADS = 20;
/** When a stalled upload's temp file must be gone: the rendered client_body_timeout, with room for a loaded machine. */
const RELEASE_DEADLINE_MS = 35_000;

/** Starts an upload of `declared` bytes, sends `sent` of them and stops. */
function stalledUpload(port: number, declared: number, sent: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: shop.example.com\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(sent, 0x61), () => resolve(socket));
    });
    socket.once("error", reject);
  });
}

/**
 * The temp files NGINX holds open under `dir`, and their bytes. NGINX deletes a body's temp file
 * right after creating it, so only its processes' open descriptors show the disk it holds.
 */
async function usage(masterPid: number, dir: string): Promise<{ files: number; bytes: number }> {
  const children = await readFile(`/proc/${masterPid}/task/${masterPid}/children`, "utf8").catch(() => "");
  const pids = [masterPid, ...children.split(/\s+/).filter(Boolean).map(Number)];
  let files = 0;
  let bytes = 0;
  for (const pid of pids) {
    for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (!target.startsWith(`${dir}/`)) continue;
      files++;
      bytes += (await stat(`/proc/${pid}/fd/${fd}`).catch(() => ({ size: 0 }))).size;
    }
  }
  return { files, bytes };
}

async function waitFor(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

describe.skipIf(availability.skip)("stalled uploads through the rendered NGINX", () => {
  let topology: Topology | undefined;
  const sockets: Socket[] = [];
  const held = () =>
    usage(topology?.nginx?.pid ?? 0, join(topology?.workDir ?? "", "web", "run", "nginx-client-body"));

  beforeAll(async () => {
    topology = await startTopology({
      manifest: webAppManifest("shop", {
        app: { image: "registry.example.com/flask-sample:1", module: "app:app", workers: 1, replicas: 1 },
        web: { clientMaxBodySize: "10m" },
      }),
      app: "flask",
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await topology?.stop();
  });

  it("lets go of their temp files once they stop sending, well before a minute", async () => {
    const port = topology?.entryPort ?? 0;
    for (let i = 0; i < UPLOADS; i++)
      sockets.push((await stalledUpload(port, 10 * MIB, 1 * MIB)).on("error", () => {}));
    // NGINX buffers each body in a temp file once it outgrows memory.
    const buffered = await waitFor(async () => (await held()).files === UPLOADS, 10_000);
    expect(buffered, `${JSON.stringify(await held())}`).toBe(true);
    expect((await held()).bytes).toBeLessThanOrEqual(UPLOADS * MIB);
    const released = await waitFor(async () => (await held()).files === 0, RELEASE_DEADLINE_MS);
    expect(released, `still held: ${JSON.stringify(await held())}`).toBe(true);
  }, 60_000);
});

// biome-ignore lint/suspicious/noExplicitAny: reads deep into rendered plain data
type Any = any;
const podSpec = (objects: KubeObject[], name: string): Any =>
  (objects.find((o) => o.kind === "Deployment" && o.metadata.name === name) as Any).spec.template.spec;
const bytes = (q: string) => {
  const m = /^([0-9]+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 * MIB : MIB);
};

describe("the rendered bounds on the node's disk", () => {
  const app = { image: "registry.example.com/shop:1", module: "shop.wsgi:app" };
  const { objects } = render(validWebApp({ app, web: { clientMaxBodySize: "300m" } }));

  it("bounds every scratch volume, with room for a few uploads at the size limit", () => {
    const webTmp = podSpec(objects, "shop-web").volumes.find((v: Any) => v.name === "tmp");
    expect(bytes(webTmp.emptyDir.sizeLimit)).toBeGreaterThanOrEqual(4 * 300 * MIB);
    const appTmp = podSpec(objects, "shop-app").volumes.find((v: Any) => v.name === "tmp");
    expect(appTmp.emptyDir.sizeLimit).toBeDefined();
  });

  it("gives every container an ephemeral-storage request and a limit covering its pod's scratch volume", () => {
    for (const name of ["shop-web", "shop-app"]) {
      const pod = podSpec(objects, name);
      const container = pod.containers[0];
      const tmp = pod.volumes.find((v: Any) => v.name === "tmp");
      expect(container.resources.requests["ephemeral-storage"], name).toBeDefined();
      expect(bytes(container.resources.limits["ephemeral-storage"]), name).toBeGreaterThan(
        bytes(tmp.emptyDir.sizeLimit),
      );
    }
  });

  it("keeps what the user set", () => {
    const mine = render(
      validWebApp({
        app: { ...app, resources: { limits: { "ephemeral-storage": "3Gi" } } },
        web: { resources: { requests: { "ephemeral-storage": "1Gi" } } },
      }),
    ).objects;
    expect(podSpec(mine, "shop-app").containers[0].resources.limits["ephemeral-storage"]).toBe("3Gi");
    expect(podSpec(mine, "shop-web").containers[0].resources.requests["ephemeral-storage"]).toBe("1Gi");
  });
});
