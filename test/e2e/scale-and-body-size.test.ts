/**
 * The Flask example on the node agent, changed with kubectl: `kubectl scale webapp/flask-demo
 * --replicas=4` gives four app pods that share the requests (each at least 15% of 400), and a new
 * `clientMaxBodySize` rolls the web pods and holds exactly (at the limit 200, one byte more 413).
 */
import { describe, expect, it, vi } from "vitest";
import { tierPods } from "../../hack/lib/node-agent-env.js";
import { waitFor } from "../../hack/lib/operator-env.js";
import { type E2e, e2eAvailability, NAMESPACE, useE2e, waitReplaced } from "./support/e2e-env.js";

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const availability = e2eAvailability(
  "end-to-end: scale and body size (test/e2e/scale-and-body-size.test.ts)",
);
const OCTET = 152;
const NAME = "flask-demo";

/** Sends `total` GETs, `concurrency` at a time, and counts the answers by X-Served-By. */
async function spread(e: E2e, total: number, concurrency: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      const res = await e.request(NAME, "/api/info");
      if (res.status !== 200) throw new Error(`GET /api/info answered ${res.status}: ${res.text()}`);
      const by = String(res.headers["x-served-by"]);
      counts[by] = (counts[by] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

function upload(e: E2e, bytes: number) {
  return e.request(NAME, "/upload", {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream", "Content-Length": bytes },
    body: Buffer.alloc(bytes, 0x61),
  });
}

describe.skipIf(availability.skip)("the Flask example changed with kubectl", () => {
  let e: E2e;
  useE2e(OCTET, availability.kubectl, (started) => {
    e = started;
    return e.applyExample("flask-app.yaml");
  });

  it("kubectl scale webapp/flask-demo --replicas=4: four app pods, and 400 requests spread over all four", async () => {
    expect(await e.kubectl.ok(["scale", "-n", NAMESPACE, `webapp/${NAME}`, "--replicas=4"])).toContain(
      "scaled",
    );
    await e.waitReady(NAME);
    const pods = await waitFor(
      () => {
        const running = tierPods(e.env, NAMESPACE, NAME, "app");
        return running.length === 4 ? running : undefined;
      },
      { timeoutMs: 30_000, message: "4 app pods" },
    );
    const names = pods.map((p) => p.metadata.name!).sort();
    const out = await e.kubectl.ok(["get", "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/component=app"]);
    for (const name of names) expect(out).toMatch(new RegExp(`^${name}\\s+1/1\\s+Running\\s`, "m"));

    const counts = await spread(e, 400, 8);
    console.log(`400 requests over 4 app pods: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).sort()).toEqual(names);
    for (const name of names) expect(counts[name], name).toBeGreaterThanOrEqual(60);
  });

  it("a clientMaxBodySize change rolls the web pods, and the new limit holds to the byte", async () => {
    const before = tierPods(e.env, NAMESPACE, NAME, "web").map((p) => p.metadata.name!);
    expect(before).toHaveLength(2);
    // 20m in the example: a 64 KiB + 1 body passes before the change.
    expect((await upload(e, 64 * 1024 + 1)).status).toBe(200);

    await e.kubectl.ok([
      "patch",
      "-n",
      NAMESPACE,
      `webapp/${NAME}`,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { web: { clientMaxBodySize: "64k" } } }),
    ]);
    // Rolled: new pods only, the old ones gone (not just terminating).
    const after = await waitReplaced(e, NAME, "web", before);
    expect(after).toHaveLength(2);

    const atLimit = await upload(e, 64 * 1024);
    expect(atLimit.status).toBe(200);
    expect(atLimit.json<{ bytes: number }>().bytes).toBe(64 * 1024);
    const over = await upload(e, 64 * 1024 + 1);
    expect(over.status).toBe(413);
    expect(over.headers.server).toBe("nginx");
  });
});
