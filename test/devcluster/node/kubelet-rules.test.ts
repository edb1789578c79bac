// The kubelet's pure rules on their own: the pod phase from container states (getPhase), Go's duration
// format in back-off messages and the back-off itself, the CRI log format, pod addresses, and the
// graceful-deletion period.
import { describe, expect, it } from "vitest";
import { Backoff, goDuration } from "../../../src/devcluster/node/backoff.js";
import { parseCriLog } from "../../../src/devcluster/node/container-log-file.js";
import { PodIpAllocator } from "../../../src/devcluster/node/pod-ips.js";
import { type ContainerFacts, type PodFacts, podPhase } from "../../../src/devcluster/node/pod-status.js";
import { podDeletionGracePeriod } from "../../../src/devcluster/schemas/pod-deletion.js";
import type { KubeObject } from "../../../src/devcluster/types.js";

const T = { startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z" };
function c(state: ContainerFacts["state"], terminations = 0): ContainerFacts {
  const ended = { exitCode: 1, reason: "Error", ...T };
  return {
    name: "c",
    image: "i",
    imageID: "",
    state,
    terminations: Array.from({ length: terminations }, () => ended),
    restartCount: terminations,
    ready: false,
    started: false,
  };
}
const running = c({ kind: "running", startedAt: T.startedAt });
const creating = c({ kind: "waiting", reason: "ContainerCreating" });
const crashLoop = c({ kind: "waiting", reason: "CrashLoopBackOff" }, 2);
const done = (exitCode: number) =>
  c({ kind: "terminated", terminated: { exitCode, reason: exitCode ? "Error" : "Completed", ...T } }, 1);
const facts = (containers: ContainerFacts[], init: ContainerFacts[] = []): PodFacts => ({
  hostIP: "127.0.0.1",
  sandboxReady: true,
  init,
  containers,
  terminating: false,
});

describe("podPhase (the kubelet's getPhase)", () => {
  it.each([
    ["a container not started yet", "Always", facts([running, creating]), "Pending"],
    ["an init container still running", "Always", facts([creating], [running]), "Pending"],
    ["a failed init container under Never", "Never", facts([creating], [done(1)]), "Failed"],
    ["one running", "Always", facts([running, crashLoop]), "Running"],
    ["all restarting under Always", "Always", facts([crashLoop]), "Running"],
    ["all succeeded under OnFailure", "OnFailure", facts([done(0), done(0)]), "Succeeded"],
    ["one failed under Never", "Never", facts([done(0), done(1)]), "Failed"],
    ["one failed, restarting under OnFailure", "OnFailure", facts([done(0), done(1)]), "Running"],
  ])("%s: %s", (_what, restartPolicy, f, phase) => {
    expect(podPhase({ restartPolicy }, f)).toBe(phase);
  });
});

describe("back-off", () => {
  it("prints durations as Go does", () => {
    expect([500, 1000, 1500, 10_000, 80_000, 300_000, 3_600_000].map(goDuration)).toEqual([
      "500ms",
      "1s",
      "1.5s",
      "10s",
      "1m20s",
      "5m0s",
      "1h0m0s",
    ]);
  });

  it("restarts at once the first time, then doubles to the cap, and starts over after a long run", () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 40_000, resetAfterMs: 600_000 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([0, 10_000, 20_000, 40_000, 40_000]);
    expect(b.next(600_000)).toBe(0);
    const pull = new Backoff({ initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 });
    expect([pull.next(0, false), pull.next(0, false)]).toEqual([10_000, 20_000]);
  });
});

describe("CRI log format", () => {
  it("joins partial records and leaves a torn last line for the next read", () => {
    const text =
      "2026-01-01T00:00:00.000000001Z stdout P hel\n2026-01-01T00:00:00.000000002Z stdout F lo\n" +
      "2026-01-01T00:00:01.000000000Z stderr F oops\n2026-01-01T00:00:02.0";
    const { records, rest } = parseCriLog(text);
    expect(records).toEqual([
      { time: "2026-01-01T00:00:00.000000001Z", stream: "stdout", text: "hello\n" },
      { time: "2026-01-01T00:00:01.000000000Z", stream: "stderr", text: "oops\n" },
    ]);
    expect(rest).toBe("2026-01-01T00:00:02.0");
  });
});

describe("pod addresses", () => {
  it("hands out distinct loopback addresses and refuses a CIDR outside 127.0.0.0/8", () => {
    const ips = new PodIpAllocator("127.9.0.0/30");
    expect(ips.allocate()).toBe("127.9.0.2");
    expect(() => ips.allocate()).toThrow("no free address");
    expect(() => new PodIpAllocator("10.0.0.0/16")).toThrow("inside 127.0.0.0/8");
  });
});

describe("graceful deletion period", () => {
  const podWith = (spec: Record<string, unknown>, phase = "Running") =>
    ({ apiVersion: "v1", kind: "Pod", metadata: {}, spec, status: { phase } }) as KubeObject;
  it("takes the request's period, else the pod's, and 0 for unscheduled or finished pods", () => {
    expect(
      podDeletionGracePeriod(podWith({ nodeName: "n", terminationGracePeriodSeconds: 30 }), undefined),
    ).toBe(30);
    expect(podDeletionGracePeriod(podWith({ nodeName: "n", terminationGracePeriodSeconds: 30 }), 3)).toBe(3);
    expect(podDeletionGracePeriod(podWith({ terminationGracePeriodSeconds: 30 }), undefined)).toBe(0);
    expect(podDeletionGracePeriod(podWith({ nodeName: "n" }, "Succeeded"), 10)).toBe(0);
    expect(podDeletionGracePeriod(podWith({ nodeName: "n" }), -5)).toBe(1);
  });
});
