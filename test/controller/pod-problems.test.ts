/** What the pods say reaches the WebApp's conditions: reason, container, and the kubelet's message. */
import { describe, expect, it } from "vitest";
import { podProblems } from "../../src/controller/pod-problems.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { reconcileHarness } from "./support/reconcile-harness.js";

function pod(name: string, component: string, containerStatuses: object[], extra: object = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "store",
      labels: { "app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": component },
      ...extra,
    },
    status: { phase: "Pending", containerStatuses },
  };
}

describe("podProblems", () => {
  it("names pull failures, crash loops with the last exit, missing config; ignores what passes by itself", () => {
    const problems = podProblems([
      pod("shop-app-1", "app", [
        {
          name: "app",
          state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "x:1"' } },
        },
      ]),
      pod("shop-app-2", "app", [
        {
          name: "app",
          restartCount: 3,
          state: {
            waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container=app" },
          },
          lastState: { terminated: { exitCode: 3, reason: "Error" } },
        },
      ]),
      pod("shop-app-3", "app", [
        {
          name: "app",
          state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "db" not found' } },
        },
      ]),
      pod("shop-app-4", "app", [{ name: "app", state: { terminated: { exitCode: 1, reason: "Error" } } }]),
      pod("shop-app-5", "app", [{ name: "app", state: { waiting: { reason: "ContainerCreating" } } }]),
      pod("shop-app-6", "app", [{ name: "app", state: { waiting: { reason: "ErrImagePull" } } }], {
        deletionTimestamp: "2026-12-01T00:00:00Z",
      }),
    ]);
    expect(problems).toEqual([
      {
        reason: "ImagePullBackOff",
        message: 'pod shop-app-1: container app is ImagePullBackOff: Back-off pulling image "x:1"',
      },
      {
        reason: "CrashLoopBackOff",
        message:
          "pod shop-app-2: container app is CrashLoopBackOff: back-off 40s restarting failed container=app; last run ended with exit code 3 (Error)",
      },
      {
        reason: "CreateContainerConfigError",
        message: 'pod shop-app-3: container app is CreateContainerConfigError: secret "db" not found',
      },
      {
        reason: "Error",
        message: "pod shop-app-4: container app exited with exit code 1 (Error)",
        restarting: true,
      },
    ]);
  });

  it("names a container restarted after a crash until it is ready again", () => {
    const restarted = (ready: boolean) => ({
      name: "app",
      ready,
      restartCount: 1,
      state: { running: { startedAt: "2026-12-01T00:00:05Z" } },
      lastState: { terminated: { exitCode: 137, signal: 9, reason: "Error" } },
    });
    expect(podProblems([pod("shop-app-1", "app", [restarted(false)])])).toEqual([
      {
        reason: "ContainerRestarted",
        message: "pod shop-app-1: container app restarted after signal 9 (Error) and is not ready yet",
        restarting: true,
      },
    ]);
    expect(podProblems([pod("shop-app-1", "app", [restarted(true)])])).toEqual([]);
    // Not ready without a crash before (starting up, or a readiness probe failing) is not a container problem.
    const starting = { name: "app", ready: false, state: { running: { startedAt: "2026-12-01T00:00:05Z" } } };
    expect(podProblems([pod("shop-app-2", "app", [starting])])).toEqual([]);
  });

  it("a container being restarted degrades the WebApp without stalling it; a crash loop stalls it", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app: { image: "registry.example.com/shop:9", module: "app:app" }, web: {} });
    const restarting = {
      name: "app",
      ready: false,
      restartCount: 1,
      state: { running: { startedAt: "2026-12-01T00:00:05Z" } },
      lastState: { terminated: { exitCode: 137, signal: 9, reason: "Error" } },
    };
    h.objects.set("Pod/store/shop-app-abc", pod("shop-app-abc", "app", [restarting]));
    await h.reconciler.reconcile("store/shop");
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "ContainerRestarted" });
    expect(h.condition("shop", "Degraded")).toMatchObject({ status: "True", reason: "ContainerRestarted" });
    expect(h.condition("shop", "Degraded").message).toContain("pod shop-app-abc: container app restarted");
    expect(h.condition("shop", "Stalled")).toMatchObject({ status: "False" });

    h.objects.set(
      "Pod/store/shop-app-abc",
      pod("shop-app-abc", "app", [
        {
          ...restarting,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } },
        },
      ]),
    );
    await h.reconciler.reconcile("store/shop");
    expect(h.condition("shop", "Degraded")).toMatchObject({ status: "True", reason: "CrashLoopBackOff" });
    expect(h.condition("shop", "Stalled")).toMatchObject({ status: "True" });
  });

  it("a WebApp whose app pod cannot pull its image says so in Ready, Degraded and Stalled", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app: { image: "registry.example.com/shop:9", module: "app:app" }, web: {} });
    h.objects.set(
      "Pod/store/shop-app-abc",
      pod("shop-app-abc", "app", [
        {
          name: "app",
          state: {
            waiting: {
              reason: "ErrImagePull",
              message: 'Failed to pull image "registry.example.com/shop:9"',
            },
          },
        },
      ]),
    );
    await h.reconciler.reconcile("store/shop");
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "ErrImagePull" });
    expect(h.condition("shop").message).toContain(
      "pod shop-app-abc: container app is ErrImagePull: Failed to pull image",
    );
    expect(h.condition("shop", "Degraded")).toMatchObject({ status: "True", reason: "ErrImagePull" });
    expect(h.condition("shop", "Stalled")).toMatchObject({ status: "True" });
  });
});
