/**
 * A pod's status from what its containers actually did, computed as the kubelet computes it: the phase
 * (getPhase), the conditions (PodReadyToStartContainers, Initialized, ContainersReady, Ready, with
 * PodScheduled kept or added) and each container's state, last state, readiness and restart count.
 * Pure: the pod worker keeps the facts, this turns them into the API's shape.
 */
import { nowTimestamp, transitionTime } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";

export interface TerminatedState {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID?: string;
}

export type ContainerState =
  | { kind: "waiting"; reason: string; message?: string }
  | { kind: "running"; startedAt: string }
  | { kind: "terminated"; terminated: TerminatedState };

export interface ContainerFacts {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  /** Every instance that ended, oldest first. */
  terminations: TerminatedState[];
  restartCount: number;
  ready: boolean;
  started: boolean;
}

export interface PodFacts {
  hostIP: string;
  podIP?: string;
  startTime?: string;
  /** Volumes set up (the sandbox is ready). */
  sandboxReady: boolean;
  init: ContainerFacts[];
  containers: ContainerFacts[];
  /** Once terminal, the phase is final. */
  terminalPhase?: "Succeeded" | "Failed";
  /** Set while the pod is being deleted: nothing is ready any more. */
  terminating: boolean;
  /** Set when the kubelet evicted the pod (phase Failed, reason Evicted). */
  evictedMessage?: string;
}

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

export function podPhase(spec: JsonObject, facts: PodFacts): string {
  if (facts.terminalPhase) return facts.terminalPhase;
  const policy = String(spec.restartPolicy ?? "Always");
  const initDone = facts.init.every(
    (c) => c.state.kind === "terminated" && c.state.terminated.exitCode === 0,
  );
  const initFailed = facts.init.some(
    (c) => c.state.kind === "terminated" && c.state.terminated.exitCode !== 0,
  );
  if (initFailed && policy === "Never") return "Failed";
  if (!initDone) return "Pending";
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  let waiting = 0;
  for (const c of facts.containers) {
    if (c.state.kind === "running") running++;
    else if (c.state.kind === "terminated") {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.terminations.length > 0) stopped++;
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function stateObject(s: ContainerState): JsonObject {
  if (s.kind === "waiting")
    return { waiting: s.message ? { reason: s.reason, message: s.message } : { reason: s.reason } };
  if (s.kind === "running") return { running: { startedAt: s.startedAt } };
  return { terminated: terminatedObject(s.terminated) };
}

function terminatedObject(t: TerminatedState): JsonObject {
  const o: JsonObject = { exitCode: t.exitCode };
  if (t.signal) o.signal = t.signal;
  o.reason = t.reason;
  if (t.message) o.message = t.message;
  o.startedAt = t.startedAt;
  o.finishedAt = t.finishedAt;
  if (t.containerID) o.containerID = t.containerID;
  return o;
}

export function containerStatus(c: ContainerFacts): JsonObject {
  const previous =
    c.state.kind === "terminated"
      ? c.terminations[c.terminations.length - 2]
      : c.terminations[c.terminations.length - 1];
  const o: JsonObject = {
    name: c.name,
    state: stateObject(c.state),
    lastState: previous ? { terminated: terminatedObject(previous) } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
  };
  if (c.containerID) o.containerID = c.containerID;
  o.started = c.started;
  return o;
}

function condition(
  previous: JsonObject[],
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): JsonObject {
  const status = ok ? "True" : "False";
  const c: JsonObject = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: transitionTime(previous, type, status),
  };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** The whole status object the kubelet writes, keeping the scheduler's PodScheduled condition. */
export function podStatus(pod: KubeObject, facts: PodFacts): JsonObject {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const old = isObject(pod.status) ? pod.status : {};
  const previous = list(old.conditions);
  const phase = podPhase(spec, facts);
  const completed = phase === "Succeeded";
  const pendingInit = facts.init
    .filter((c) => !(c.state.kind === "terminated" && c.state.terminated.exitCode === 0))
    .map((c) => c.name);
  const unready = facts.containers.filter((c) => !c.ready || facts.terminating).map((c) => c.name);
  const readyReason = completed ? "PodCompleted" : unready.length ? "ContainersNotReady" : undefined;
  const readyMessage =
    !completed && unready.length ? `containers with unready status: [${unready.join(" ")}]` : undefined;
  const initReason = completed ? "PodCompleted" : pendingInit.length ? "ContainersNotInitialized" : undefined;
  const conditions: JsonObject[] = [
    condition(previous, "PodReadyToStartContainers", facts.sandboxReady && !completed),
    condition(
      previous,
      "Initialized",
      pendingInit.length === 0,
      initReason,
      pendingInit.length ? `containers with incomplete status: [${pendingInit.join(" ")}]` : undefined,
    ),
    condition(previous, "Ready", unready.length === 0 && !completed, readyReason, readyMessage),
    condition(previous, "ContainersReady", unready.length === 0 && !completed, readyReason, readyMessage),
  ];
  if (facts.evictedMessage)
    conditions.unshift(
      condition(previous, "DisruptionTarget", true, "TerminationByKubelet", facts.evictedMessage),
    );
  const scheduled = previous.find((c) => c.type === "PodScheduled");
  conditions.push(
    scheduled ?? {
      type: "PodScheduled",
      status: "True",
      lastProbeTime: null,
      lastTransitionTime: nowTimestamp(),
    },
  );
  const status: JsonObject = {
    observedGeneration: pod.metadata.generation,
    phase,
    conditions,
    hostIP: facts.hostIP,
    hostIPs: [{ ip: facts.hostIP }],
  };
  if (status.observedGeneration === undefined) delete status.observedGeneration;
  if (facts.evictedMessage) {
    status.reason = "Evicted";
    status.message = facts.evictedMessage;
  }
  if (facts.podIP) {
    status.podIP = facts.podIP;
    status.podIPs = [{ ip: facts.podIP }];
  }
  if (facts.startTime) status.startTime = facts.startTime;
  if (facts.init.length) status.initContainerStatuses = facts.init.map(containerStatus);
  status.containerStatuses = facts.containers.map(containerStatus);
  status.qosClass = old.qosClass ?? "BestEffort";
  return status;
}
