/**
 * The controllers that make workloads run on a node agent, started and stopped together: Deployments,
 * ReplicaSets, Jobs, CronJobs, the scheduler, EndpointSlices and the volume provisioner. They replace the
 * workload simulator on a cluster; the two never run together.
 */
import type { ResourceRegistry } from "../storage/registry.js";
import type { Store } from "../storage/store.js";
import type { Operations } from "../writes/operations.js";
import { type Clock, type Controller, ControllerKit } from "./controller-kit.js";
import { CronJobController } from "./cronjob-controller.js";
import { DeploymentController } from "./deployment-controller.js";
import { EndpointSliceController } from "./endpointslice-controller.js";
import { JobController } from "./job-controller.js";
import { ReplicaSetController } from "./replicaset-controller.js";
import { Scheduler } from "./scheduler.js";
import { VolumeProvisioner } from "./volume-provisioner.js";

export interface WorkloadControllerOptions {
  /** The clock the controllers read (deadlines, schedules, availability); tests may move it. */
  clock?: Clock;
  /** Where PersistentVolumeClaims get their directories. Default: a temporary directory, removed at stop. */
  volumeWorkDir?: string;
  /** The Job controller's first delay before replacing a failed pod (doubling per failure). Default 10 s. */
  jobPodFailureBackoffMs?: number;
}

export class WorkloadControllers {
  private readonly controllers: Controller[] = [];
  readonly cronJobs: CronJobController;
  readonly volumes: VolumeProvisioner;

  constructor(
    store: Store,
    registry: ResourceRegistry,
    ops: Operations,
    options: WorkloadControllerOptions = {},
  ) {
    const kit = (account: string, component = account) =>
      new ControllerKit(
        store,
        registry,
        ops,
        `system:serviceaccount:kube-system:${account}`,
        component,
        options.clock,
      );
    this.cronJobs = new CronJobController(kit("cronjob-controller"));
    this.volumes = new VolumeProvisioner(kit("persistent-volume-binder", "persistentvolume-controller"), {
      ...(options.volumeWorkDir !== undefined ? { workDir: options.volumeWorkDir } : {}),
    });
    this.controllers.push(
      this.cronJobs,
      this.volumes,
      new DeploymentController(kit("deployment-controller")),
      new ReplicaSetController(kit("replicaset-controller")),
      new EndpointSliceController(kit("endpointslice-controller")),
      new JobController(kit("job-controller"), {
        ...(options.jobPodFailureBackoffMs !== undefined
          ? { podFailureBackoffMs: options.jobPodFailureBackoffMs }
          : {}),
      }),
      new Scheduler(
        new ControllerKit(store, registry, ops, "system:kube-scheduler", "default-scheduler", options.clock),
      ),
    );
  }

  /** Looks at every CronJob again, e.g. after a test moved the `clock`. */
  resync(): void {
    this.cronJobs.resync();
  }

  stop(): void {
    for (const c of this.controllers) c.stop();
  }
}
