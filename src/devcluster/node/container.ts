/**
 * One container of a pod, across its instances: pulling its image, building its environment, turning it
 * into a local process (translate/), running it in a process group of its own with its output in the
 * container's log files, probing it, and stopping it as the kubelet does (preStop, the stop signal, then
 * SIGKILL when the grace period runs out). The pod worker decides when; this does it and records what
 * happened in the facts the pod's status is made of.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { dirname, join } from "node:path";
import { nowTimestamp } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { Backoff, goDuration } from "./backoff.js";
import { ContainerConfigError, resolveContainerEnv } from "./container-env.js";
import { type ExecContext, execInContainer } from "./container-exec.js";
import { type ContainerOutput, openContainerOutput } from "./container-log-file.js";
import { containerPathMappings, containerUser, makeScratch } from "./container-sandbox.js";
import { fullReference, ImagePullError, type PulledImage } from "./image-puller.js";
import type { NodeContext } from "./node-context.js";
import type { ContainerFacts, ContainerState, TerminatedState } from "./pod-status.js";
import { hasProbe, type ProbeTarget, startProbeLoop } from "./probe-loop.js";
import { type ProbeContext, runProbe } from "./probes.js";
import { type GroupProcess, spawnGroup } from "./process-group.js";
import { readTerminationMessage } from "./termination-message.js";
import {
  type CommandTranslation,
  ExecNotFoundError,
  expandVariables,
  hostFiles,
  type LocalProcess,
  localProcess,
  NoCommandError,
  PathMap,
} from "./translate/index.js";

/** What a container needs from its pod. */
export interface PodHandle {
  readonly pod: KubeObject;
  readonly podIP: string;
  readonly podDir: string;
  /** `name_namespace(uid)`, as the kubelet names a pod in messages. */
  readonly podRef: string;
  volumeHostPath(name: string): string | undefined;
  /** Something changed that the pod's status or its next step depends on. */
  changed(): void;
  /** The pod's grace period for a container killed outside of pod deletion (liveness). */
  gracePeriodMs(): number;
}

interface Instance extends ExecContext {
  number: number;
  proc: GroupProcess;
  output: ContainerOutput;
  translation: CommandTranslation;
  /** The container's environment as the pod spec gives it (container paths), for exec in its context. */
  containerEnv: Record<string, string>;
  user: { uid?: number; gid?: number };
  startedAtMs: number;
  startedAt: string;
  containerID: string;
  logFile: string;
  stopping: boolean;
  /** Set when the kubelet (not the process) decided to stop it. */
  stoppedBy?: StopReason;
  /** The pending attempt of each probe. */
  probeTimers: Map<string, NodeJS.Timeout>;
  exited: Promise<void>;
}

/** Why the kubelet stops a container. */
export type StopReason = "liveness" | "startup" | "postStart" | "deletion" | "eviction";
const MIN_GRACE_MS = 2000;
const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});

function signalNumber(signal: NodeJS.Signals | null): number | undefined {
  return signal ? osConstants.signals[signal] : undefined;
}

function containerdStartError(detail: string): string {
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ${detail}: unknown`;
}

export class Container {
  readonly name: string;
  readonly fieldPath: string;
  state: ContainerState;
  readonly terminations: TerminatedState[] = [];
  restartCount = 0;
  ready = false;
  started = false;
  imageID = "";
  /** When the current waiting state began. */
  stateSince = Date.now();
  /** Busy pulling or starting: the pod worker waits. */
  starting = false;
  /** When the next start may happen (crash or pull back-off); undefined: at once. */
  notBefore: number | undefined;
  private instance: Instance | undefined;
  private instances = 0;
  private readonly crashBackoff: Backoff;
  private readonly pullBackoff: Backoff;
  private lastPullError = "";
  /** containerID -> that instance's log file. */
  private readonly logFiles = new Map<string, string>();
  private pulledImage: PulledImage | undefined;

  constructor(
    readonly spec: JsonObject,
    readonly init: boolean,
    private readonly pod: PodHandle,
    private readonly node: NodeContext,
  ) {
    this.name = String(spec.name);
    this.fieldPath = `spec.${init ? "initContainers" : "containers"}{${this.name}}`;
    // Containers wait behind the init containers as PodInitializing; those and the rest as ContainerCreating.
    const behindInit =
      !init &&
      Array.isArray(obj(pod.pod.spec).initContainers) &&
      (obj(pod.pod.spec).initContainers as unknown[]).length > 0;
    this.state = { kind: "waiting", reason: behindInit ? "PodInitializing" : "ContainerCreating" };
    this.crashBackoff = new Backoff(node.crashBackoff);
    this.pullBackoff = new Backoff(node.pullBackoff);
  }

  get image(): string {
    return String(this.spec.image ?? "");
  }

  get running(): boolean {
    return this.instance !== undefined;
  }

  /**
   * The log file a `kubectl logs` (or `--previous`) reads, chosen as the kubelet chooses the container
   * instance; throws the kubelet's message when there is none.
   */
  logFileFor(previous: boolean, podName: string): string | undefined {
    const last = this.terminations.at(-1);
    const quoted = `container "${this.name}" in pod "${podName}"`;
    let id: string | undefined;
    if (previous) {
      const prev = this.state.kind === "terminated" ? this.terminations.at(-2) : last;
      if (!prev?.containerID) throw new Error(`previous terminated ${quoted} not found`);
      id = prev.containerID;
    } else if (this.instance) id = this.instance.containerID;
    else if (last) id = last.containerID;
    else if (this.state.kind === "waiting") {
      const reason = this.state.reason;
      const why =
        reason === "ErrImagePull"
          ? "image can't be pulled"
          : reason === "ImagePullBackOff"
            ? "trying and failing to pull image"
            : reason;
      throw new Error(`${quoted} is waiting to start: ${why}`);
    }
    if (!id) throw new Error(`${quoted} is terminated`);
    return this.logFiles.get(id);
  }

  /** Whether a log file may still grow (its instance runs, or its output is still draining). */
  isWriting(file: string): boolean {
    return this.instance?.logFile === file;
  }

  facts(): ContainerFacts {
    const f: ContainerFacts = {
      name: this.name,
      image: fullReference(this.image),
      imageID: this.imageID,
      state: this.state,
      terminations: this.terminations,
      restartCount: this.restartCount,
      ready: this.ready,
      started: this.started,
    };
    // The most recent container's ID, also while the next one waits (CrashLoopBackOff).
    const id = this.instance?.containerID ?? this.terminations.at(-1)?.containerID;
    if (id) f.containerID = id;
    return f;
  }

  private event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.node.events.record({ pod: this.pod.pod, fieldPath: this.fieldPath }, type, reason, message);
  }

  private wait(reason: string, message?: string): void {
    this.state = message ? { kind: "waiting", reason, message } : { kind: "waiting", reason };
    this.stateSince = Date.now();
  }

  /**
   * Shows the crash back-off when the last instance failed and a restart is due later: returns the delay
   * (ms) still to wait, 0 when the container may start now.
   */
  restartDelay(now = Date.now()): number {
    if (this.notBefore === undefined) {
      const last = this.terminations.at(-1);
      // A container that never started (StartError) did not run at all, whatever its startedAt says.
      const ran =
        last && last.reason !== "StartError" ? Date.parse(last.finishedAt) - Date.parse(last.startedAt) : 0;
      const delay = this.crashBackoff.next(Number.isFinite(ran) ? ran : 0);
      this.notBefore = now + delay;
      if (delay > 0) {
        this.wait(
          "CrashLoopBackOff",
          `back-off ${goDuration(delay)} restarting failed container=${this.name} pod=${this.pod.podRef}`,
        );
        this.event(
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${this.name} in pod ${this.pod.podRef}`,
        );
      }
    }
    return Math.max(0, this.notBefore - now);
  }

  /** Pulls, prepares and starts a new instance. Failures become the container's state; never throws. */
  async start(): Promise<void> {
    if (this.starting || this.instance) return;
    this.starting = true;
    if (this.state.kind === "waiting" && this.state.reason === "PodInitializing")
      this.wait("ContainerCreating");
    try {
      const image = await this.pullImage();
      if (!image) return;
      const prepared = this.prepare(image);
      if (!prepared) return;
      this.launch(prepared.process, prepared.translation, prepared.env, prepared.user);
    } finally {
      this.starting = false;
      this.pod.changed();
    }
  }

  private async pullImage(): Promise<PulledImage | undefined> {
    const now = Date.now();
    if (this.notBefore !== undefined && this.lastPullError && now < this.notBefore) {
      this.wait(
        "ImagePullBackOff",
        `Back-off pulling image "${this.image}": ErrImagePull: ${this.lastPullError}`,
      );
      this.event("Normal", "BackOff", `Back-off pulling image "${this.image}"`);
      this.event("Warning", "Failed", "Error: ImagePullBackOff");
      return undefined;
    }
    const policy = String(this.spec.imagePullPolicy ?? "IfNotPresent");
    if (policy === "Never" && !this.node.puller.isLocal(this.image)) {
      const message = `Container image "${this.image}" is not present with pull policy of Never`;
      this.wait("ErrImageNeverPull", message);
      this.event("Warning", "ErrImageNeverPull", message);
      this.notBefore = Date.now() + this.node.pullBackoff.initialMs;
      return undefined;
    }
    const present = policy === "Never" || this.node.puller.isPresent(this.image);
    try {
      if (policy !== "Always" && present) {
        this.pulledImage = await this.node.puller.pull(this.image);
        this.event("Normal", "Pulled", `Container image "${this.image}" already present on machine`);
      } else {
        this.event("Normal", "Pulling", `Pulling image "${this.image}"`);
        const t0 = Date.now();
        this.pulledImage = await this.node.puller.pull(this.image);
        const took = goDuration(Date.now() - t0);
        this.event(
          "Normal",
          "Pulled",
          `Successfully pulled image "${this.image}" in ${took} (${took} including waiting). Image size: ${this.pulledImage.size} bytes.`,
        );
      }
      this.lastPullError = "";
      this.notBefore = undefined;
      this.pullBackoff.reset();
      this.imageID = this.pulledImage.imageID;
      return this.pulledImage;
    } catch (e) {
      if (!(e instanceof ImagePullError)) throw e;
      this.lastPullError = e.message;
      this.notBefore = Date.now() + this.pullBackoff.next(0, false);
      this.wait("ErrImagePull", e.message);
      this.event("Warning", "Failed", `Failed to pull image "${this.image}": ${e.message}`);
      this.event("Warning", "Failed", "Error: ErrImagePull");
      this.node.log(`image ${this.image} is not in the image map or could not be built: ${e.message}`);
      return undefined;
    }
  }

  private prepare(image: PulledImage):
    | {
        process: LocalProcess;
        translation: CommandTranslation;
        env: Record<string, string>;
        user: { uid?: number; gid?: number };
      }
    | undefined {
    const number = this.instances;
    const instanceDir = join(this.pod.podDir, "containers", this.name, String(number));
    let env: Record<string, string>;
    let user: { uid?: number; gid?: number };
    try {
      user = containerUser(obj(this.pod.pod.spec), this.spec, this.node.canSwitchUser, this.pod.podRef);
      env = resolveContainerEnv(this.pod.pod, this.spec, {
        configMap: (ns, n) => this.node.configMap(ns, n),
        secret: (ns, n) => this.node.secret(ns, n),
        nodeAllocatable: this.node.nodeAllocatable,
      });
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      this.wait("CreateContainerConfigError", e.message);
      this.event("Warning", "Failed", `Error: ${e.message}`);
      return undefined;
    }
    env.HOSTNAME = String(obj(this.pod.pod.spec).hostname ?? this.pod.pod.metadata.name);
    const scratch = join(instanceDir, "rootfs");
    const translation: CommandTranslation = {
      image: image.definition,
      paths: new PathMap(
        containerPathMappings(image.definition, this.spec, (n) => this.pod.volumeHostPath(n), scratch),
      ),
      listen: (port) => `${this.pod.podIP}:${port}`,
      resolve: (host, port) => this.node.resolve(host, port, this.pod.pod.metadata.namespace ?? "default"),
      ...hostFiles,
      generatedDir: join(instanceDir, "generated"),
      scratchDir: scratch,
    };
    const lookup = (n: string) => env[n];
    const expand = (list: unknown) =>
      Array.isArray(list) ? list.map((a) => expandVariables(String(a), lookup)) : undefined;
    try {
      const command = expand(this.spec.command);
      const args = expand(this.spec.args);
      const p = localProcess(
        {
          ...(command ? { command } : {}),
          ...(args ? { args } : {}),
          ...(typeof this.spec.workingDir === "string" ? { workingDir: this.spec.workingDir } : {}),
          env,
        },
        translation,
      );
      makeScratch(scratch, user, this.pod.podDir);
      for (const f of p.files) {
        mkdirSync(dirname(f.hostPath), { recursive: true, mode: 0o755 });
        writeFileSync(f.hostPath, f.content, { mode: 0o644 });
      }
      return { process: p, translation, env, user };
    } catch (e) {
      if (e instanceof NoCommandError) {
        this.wait("CreateContainerError", e.message);
        this.event("Warning", "Failed", `Error: ${e.message}`);
        this.notBefore = Date.now() + this.node.crashBackoff.initialMs;
        return undefined;
      }
      if (e instanceof ExecNotFoundError) {
        this.startFailed(containerdStartError(e.message));
        return undefined;
      }
      throw e;
    }
  }

  /** The container was created but its process could not start (StartError, exit code 128). */
  private startFailed(message: string): void {
    const now = nowTimestamp();
    const containerID = `containerd://${randomBytes(32).toString("hex")}`;
    this.event("Normal", "Created", `Created container: ${this.name}`);
    this.event("Warning", "Failed", `Error: ${message}`);
    if (this.instances > 0) this.restartCount++;
    this.instances++;
    this.terminations.push({
      exitCode: 128,
      reason: "StartError",
      message,
      startedAt: "1970-01-01T00:00:00Z",
      finishedAt: now,
      containerID,
    });
    this.state = { kind: "terminated", terminated: this.terminations.at(-1)! };
    this.notBefore = undefined;
  }

  private launch(
    p: LocalProcess,
    translation: CommandTranslation,
    containerEnv: Record<string, string>,
    user: { uid?: number; gid?: number },
  ): void {
    const number = this.instances;
    const logDir = join(this.pod.podDir, "logs", this.name);
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${number}.log`);
    const pipeDir = join(this.pod.podDir, "containers", this.name, String(number));
    mkdirSync(pipeDir, { recursive: true });
    const output = openContainerOutput(
      logFile,
      pipeDir,
      user.uid !== undefined ? { uid: user.uid, gid: user.gid ?? 0 } : undefined,
    );
    const proc = spawnGroup(p.program, p.args, {
      cwd: existsSync(p.cwd) ? p.cwd : translation.scratchDir,
      env: p.env,
      stdio: ["ignore", output.stdoutFd, output.stderrFd],
      ...user,
    });
    output.closeChildEnds();
    const containerID = `containerd://${randomBytes(32).toString("hex")}`;
    this.logFiles.set(containerID, logFile);
    this.event("Normal", "Created", `Created container: ${this.name}`);
    if (proc.pid <= 0) {
      output.destroy();
      void proc.exited.then(() =>
        this.node.log(`${this.pod.podRef} ${this.name}: ${proc.startError()?.message ?? "could not start"}`),
      );
      this.startFailed(containerdStartError(`exec: "${p.containerProgram}": permission denied`));
      return;
    }
    if (this.instances > 0) this.restartCount++;
    this.instances++;
    const startedAtMs = Date.now();
    const instance: Instance = {
      number,
      proc,
      output,
      translation,
      containerEnv,
      user,
      startedAtMs,
      startedAt: nowTimestamp(new Date(startedAtMs)),
      containerID,
      logFile,
      stopping: false,
      probeTimers: new Map(),
      exited: Promise.resolve(),
    };
    instance.exited = proc.exited.then(async (exit) => {
      for (const t of instance.probeTimers.values()) clearTimeout(t);
      await Promise.race([output.drained, new Promise((r) => setTimeout(r, 2000).unref())]);
      const signal = signalNumber(exit.signal);
      const exitCode = exit.code ?? 128 + (signal ?? 0);
      const terminated: TerminatedState = {
        exitCode,
        reason: exitCode === 0 ? "Completed" : "Error",
        startedAt: instance.startedAt,
        finishedAt: nowTimestamp(),
        containerID,
      };
      if (signal) terminated.signal = signal;
      const message = readTerminationMessage(this.spec, translation.scratchDir, logFile, exitCode);
      if (message) terminated.message = message;
      this.terminations.push(terminated);
      this.state = { kind: "terminated", terminated };
      this.instance = undefined;
      this.ready = false;
      this.started = false;
      this.notBefore = undefined;
      this.pod.changed();
    });
    this.instance = instance;
    this.state = { kind: "running", startedAt: instance.startedAt };
    this.event("Normal", "Started", `Started container ${this.name}`);
    const postStart = obj(obj(this.spec.lifecycle).postStart);
    if (Object.keys(postStart).length === 0) {
      this.startProbes(instance);
      return;
    }
    // Probes begin once postStart returns; a failed hook kills the container, as the kubelet does.
    void this.runHook(instance, postStart, this.pod.gracePeriodMs()).then((failed) => {
      if (this.instance !== instance || instance.stopping) return;
      if (!failed) {
        this.startProbes(instance);
        this.pod.changed();
        return;
      }
      this.event("Warning", "FailedPostStartHook", `PostStartHook failed: ${failed}`);
      void this.stop(Date.now() + this.pod.gracePeriodMs(), "postStart");
    });
  }

  private probeContext(instance: Instance): ProbeContext {
    return {
      podIP: this.pod.podIP,
      ports: Array.isArray(this.spec.ports) ? this.spec.ports.filter(isObject) : [],
      exec: (command, timeoutMs) => execInContainer(instance, command, timeoutMs),
    };
  }

  private startProbes(instance: Instance): void {
    if (!hasProbe(this.spec, "startup")) this.started = true;
    if (!hasProbe(this.spec, "readiness") && !hasProbe(this.spec, "startup")) this.ready = !this.init;
    const target: ProbeTarget = {
      current: () => this.instance === instance && !instance.stopping,
      started: () => this.started,
      ready: () => this.ready,
      markStarted: () => {
        this.started = true;
        if (!hasProbe(this.spec, "readiness")) this.ready = !this.init;
        this.pod.changed();
      },
      setReady: (ready) => {
        this.ready = ready;
        this.pod.changed();
      },
      context: () => this.probeContext(instance),
      timers: instance.probeTimers,
      unhealthy: (message) => this.event("Warning", "Unhealthy", message),
      failed: (kind, graceMs) => {
        this.event("Normal", "Killing", `Container ${this.name} failed ${kind} probe, will be restarted`);
        void this.stop(Date.now() + (graceMs ?? this.pod.gracePeriodMs()), kind);
      },
    };
    for (const kind of ["startup", "readiness", "liveness"] as const) {
      const probe = this.spec[`${kind}Probe`];
      if (isObject(probe)) startProbeLoop(target, kind, probe);
    }
  }

  /**
   * Stops the running instance as the kubelet does: preStop hook, then the image's stop signal to the
   * main process, then SIGKILL to the whole group at the deadline (at least 2 s after the hook).
   */
  async stop(deadline: number, reason: StopReason): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    if (instance.stopping) return instance.exited;
    instance.stopping = true;
    instance.stoppedBy = reason;
    for (const t of instance.probeTimers.values()) clearTimeout(t);
    this.ready = false;
    this.pod.changed();
    if (reason === "deletion" || reason === "eviction")
      this.event("Normal", "Killing", `Stopping container ${this.name}`);
    const preStop = obj(obj(this.spec.lifecycle).preStop);
    if (Object.keys(preStop).length) {
      const budget = Math.max(0, deadline - Date.now());
      const failed = await this.runHook(instance, preStop, budget);
      if (failed) this.event("Warning", "FailedPreStopHook", `PreStopHook failed: ${failed}`);
    }
    const signal = instance.translation.image.stopSignal ?? "SIGTERM";
    instance.proc.signal(signal);
    const killAt = Math.max(deadline, Date.now() + MIN_GRACE_MS);
    const timer = setTimeout(() => instance.proc.signalGroup("SIGKILL"), Math.max(0, killAt - Date.now()));
    await instance.exited;
    clearTimeout(timer);
  }

  /** A lifecycle hook (exec, httpGet, sleep); returns why it failed, or undefined. */
  private async runHook(instance: Instance, hook: JsonObject, budgetMs: number): Promise<string | undefined> {
    if (isObject(hook.sleep)) {
      const ms = Math.min(Number(hook.sleep.seconds ?? 0) * 1000, budgetMs);
      await new Promise((r) => setTimeout(r, ms));
      return undefined;
    }
    const result = await runProbe(hook, this.probeContext(instance), Math.max(1, budgetMs));
    return result.ok ? undefined : result.message;
  }

  /** Kills the instance at once (the cluster is stopping). */
  async kill(): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    instance.stopping = true;
    for (const t of instance.probeTimers.values()) clearTimeout(t);
    instance.proc.signalGroup("SIGKILL");
    await Promise.race([instance.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    instance.output.destroy();
  }

  /** The pid of the running instance's main process (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.instance?.proc.pid;
  }
}
