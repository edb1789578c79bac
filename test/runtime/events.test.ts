import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/kube/resources.js";
import { EventRecorder } from "../../src/runtime/events.js";

const webapp: KubeObject = {
  apiVersion: "webapp-operator.dev/v1alpha1",
  kind: "WebApp",
  metadata: { name: "shop", namespace: "ns", uid: "u1", resourceVersion: "3" },
};

describe("EventRecorder", () => {
  it("sends a core/v1 Event about the WebApp, and the same warning only once", async () => {
    const sent: Record<string, unknown>[] = [];
    const rec = new EventRecorder(
      { create: async (_t, _ns, body) => sent.push(body as Record<string, unknown>) },
      pino({ level: "silent" }),
      "pod-1",
    );
    await rec.record(webapp, "Warning", "InvalidSpec", "spec.app.workers: must be at least 1");
    await rec.record(webapp, "Warning", "InvalidSpec", "spec.app.workers: must be at least 1");
    await rec.record(webapp, "Normal", "Applied", "Applied Deployment shop-app", { dedupe: false });
    await rec.record(webapp, "Normal", "Applied", "Applied Deployment shop-app", { dedupe: false });
    expect(sent.map((e) => e.reason)).toEqual(["InvalidSpec", "Applied", "Applied"]);
    expect(sent[0]).toMatchObject({
      type: "Warning",
      involvedObject: { kind: "WebApp", name: "shop", namespace: "ns", uid: "u1" },
      source: { component: "webapp-operator" },
      metadata: { generateName: "shop.", namespace: "ns" },
    });
  });

  it("retries a warning whose send failed, and never throws", async () => {
    let fail = true;
    const sent: unknown[] = [];
    const rec = new EventRecorder(
      {
        create: async (_t, _ns, body) => {
          if (fail) throw new Error("down");
          sent.push(body);
        },
      },
      pino({ level: "silent" }),
      "pod-1",
    );
    await rec.record(webapp, "Warning", "X", "m");
    fail = false;
    await rec.record(webapp, "Warning", "X", "m");
    expect(sent).toHaveLength(1);
  });
});
