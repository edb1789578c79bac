/**
 * Zero-downtime rollouts, for real: the Flask example under a constant load of 60 requests per second
 * through its entry Service (kube-proxy, NGINX, kube-proxy again, Gunicorn) while `kubectl apply` rolls
 * the app tier to a new image, and then while a web-tier change rolls NGINX. Not one request may fail
 * (no connection error, no timeout, no 5xx) from before the change until the last old pod has stopped.
 */
import { describe, expect, it, vi } from "vitest";
import { exampleWebApp, tierPods } from "../../hack/lib/node-agent-env.js";
import { describeLoad, type LoadReport, startSteadyLoad } from "../../hack/lib/steady-load.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { type E2e, e2eAvailability, NAMESPACE, useE2e, waitReplaced } from "./support/e2e-env.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

const availability = e2eAvailability(
  "end-to-end: rollouts under load (test/e2e/rollouts-under-load.test.ts)",
);
const OCTET = 154;
const NAME = "flask-demo";
const RATE = 60;
const MIN_RATE = 50;

/** The example as the user edits it: the same file with one field changed. */
function edited(change: (spec: Record<string, Record<string, unknown>>) => void): KubeObject {
  const webapp = exampleWebApp("flask-app.yaml");
  change(webapp.spec as Record<string, Record<string, unknown>>);
  return webapp;
}

/**
 * Runs `change` under the load and waits until the tier's old pods are all gone, with a second of load
 * on either side; returns the report of that whole window and the tier's pods before and after.
 */
async function underLoad(
  e: E2e,
  component: "app" | "web",
  change: () => Promise<unknown>,
): Promise<{ report: LoadReport; before: string[]; after: string[]; seconds: number }> {
  const before = tierPods(e.env, NAMESPACE, NAME, component).map((p) => p.metadata.name!);
  const { host, port } = await e.address(NAME);
  const load = startSteadyLoad({
    host,
    port,
    path: "/api/info",
    ratePerSecond: RATE,
    countByHeader: "X-Served-By",
    maxDurationMs: 200_000,
    // An open loop: a slow moment on a busy machine shows as latency, never as fewer requests sent.
    maxInFlight: 500,
  });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = performance.now();
    await change();
    const after = await waitReplaced(e, NAME, component, before, 150_000);
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    return { report: await load.stop(), before, after, seconds };
  } finally {
    await load.stop();
  }
}

function expectNoFailures(what: string, report: LoadReport): void {
  const failures = report.firstFailures.map((f) => `${f.startMs.toFixed(0)} ms: ${f.error ?? f.status}`);
  expect(report.failed, `${what}: ${describeLoad(report)}\n${failures.join("\n")}`).toBe(0);
  expect(report.skipped).toBe(0);
  expect(report.ratePerSecond).toBeGreaterThanOrEqual(MIN_RATE);
  expect(report.minPerSecond, "requests sent in the slowest second").toBeGreaterThanOrEqual(MIN_RATE);
}

describe.skipIf(availability.skip)("rollouts under a constant load", () => {
  let e: E2e;
  useE2e(OCTET, availability.kubectl, (started) => {
    e = started;
    return e.applyExample("flask-app.yaml");
  });

  it("a new app image: 0 failed requests, the answers move from the old pods to the new", async () => {
    const { report, before, after, seconds } = await underLoad(e, "app", () =>
      e.apply(
        edited((spec) => {
          spec.app!.image = "registry.example.com/flask-demo:1.0.1";
        }),
      ),
    );
    console.log(`app image rollout (${seconds.toFixed(1)} s): ${describeLoad(report)}`);
    expectNoFailures("app image rollout", report);
    const served = Object.keys(report.servedBy);
    expect(
      before.some((p) => served.includes(p)),
      "old pods answered",
    ).toBe(true);
    expect(
      after.some((p) => served.includes(p)),
      "new pods answered",
    ).toBe(true);
    const images = await e.kubectl.ok([
      "get",
      "pods",
      "-n",
      NAMESPACE,
      "-l",
      "app.kubernetes.io/component=app",
      "-o",
      "jsonpath={.items[*].spec.containers[0].image}",
    ]);
    expect(images.split(" ")).toEqual(after.map(() => "registry.example.com/flask-demo:1.0.1"));
  });

  it("a web-tier change: 0 failed requests while every NGINX pod is replaced", async () => {
    const { report, before, after, seconds } = await underLoad(e, "web", () =>
      e.apply(
        edited((spec) => {
          spec.app!.image = "registry.example.com/flask-demo:1.0.1";
          spec.web!.proxyTimeouts = { readSeconds: 90 };
        }),
      ),
    );
    console.log(`web tier rollout (${seconds.toFixed(1)} s): ${describeLoad(report)}`);
    expectNoFailures("web tier rollout", report);
    expect(after).toHaveLength(before.length);
    expect(after.filter((p) => before.includes(p))).toEqual([]);
  });
});
