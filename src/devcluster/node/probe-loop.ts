/**
 * The kubelet's probe workers for one container instance: each probe waits initialDelaySeconds, then
 * runs every periodSeconds; readiness and liveness only once the startup probe (if any) succeeded.
 * successThreshold and failureThreshold count consecutive results; every failure is an Unhealthy event;
 * a liveness or startup probe that fails failureThreshold times kills the container.
 */
import { isObject, type JsonObject } from "../types.js";
import { type ProbeContext, probeTimeoutMs, runProbe } from "./probes.js";

export type ProbeKind = "startup" | "readiness" | "liveness";

/** What a probe worker needs from its container. */
export interface ProbeTarget {
  /** The instance still runs and is not being stopped. */
  current(): boolean;
  started(): boolean;
  ready(): boolean;
  markStarted(): void;
  setReady(ready: boolean): void;
  context(): ProbeContext;
  /** The pending attempt of each probe, cleared when the instance stops. */
  timers: Map<string, NodeJS.Timeout>;
  unhealthy(message: string): void;
  /** A liveness or startup probe gave up: stop the container within graceMs (undefined: the pod's). */
  failed(kind: "startup" | "liveness", graceMs: number | undefined): void;
}

const positive = (v: unknown, d: number) => (typeof v === "number" && v > 0 ? v : d);

export function startProbeLoop(target: ProbeTarget, kind: ProbeKind, probe: JsonObject): void {
  const periodMs = positive(probe.periodSeconds, 10) * 1000;
  const successThreshold = kind === "readiness" ? positive(probe.successThreshold, 1) : 1;
  const failureThreshold = positive(probe.failureThreshold, 3);
  const label = `${kind[0]!.toUpperCase()}${kind.slice(1)}`;
  let successes = 0;
  let failures = 0;
  const schedule = (ms: number) => {
    if (!target.current()) return;
    const t = setTimeout(() => void attempt(), ms);
    t.unref();
    target.timers.set(kind, t);
  };
  const attempt = async () => {
    if (!target.current()) return;
    if (kind !== "startup" && !target.started()) return schedule(periodMs);
    if (kind === "startup" && target.started()) return;
    const result = await runProbe(probe, target.context(), probeTimeoutMs(probe));
    if (!target.current()) return;
    if (result.ok) {
      successes++;
      failures = 0;
      if (kind === "startup") return target.markStarted();
      if (kind === "readiness" && successes >= successThreshold && !target.ready()) target.setReady(true);
    } else {
      failures++;
      successes = 0;
      target.unhealthy(`${label} probe failed: ${result.message}`);
      if (kind === "readiness" && failures >= failureThreshold && target.ready()) target.setReady(false);
      if (kind !== "readiness" && failures >= failureThreshold) {
        const grace = probe.terminationGracePeriodSeconds;
        return target.failed(kind, typeof grace === "number" ? grace * 1000 : undefined);
      }
    }
    schedule(periodMs);
  };
  schedule(positive(probe.initialDelaySeconds, 0) * 1000);
}

/** Whether the spec has the probe. */
export function hasProbe(spec: JsonObject, kind: ProbeKind): boolean {
  return isObject(spec[`${kind}Probe`]);
}
