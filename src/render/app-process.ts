import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { Resources } from "../api/spec/common.js";

/** What makes one process of the app different from the app server. */
export interface AppProcess {
  /** The container's name (`migrate`, `worker`, `job`). */
  container: string;
  command: string[];
  /** Its own resources; the app container's when absent. */
  resources?: Resources | undefined;
  /** `Never` for Jobs: a failed run is a new pod, so each run's logs stay readable. */
  restartPolicy?: "Never";
  livenessProbe?: IProbe;
  readinessProbe?: IProbe;
}

/**
 * Another process of the app (a migration, a worker, a scheduled job): the app pod, with its image,
 * env, envFrom, volumes, service account and security settings, running another command. Taken from
 * the rendered app pod rather than built again, so the two cannot drift apart. It serves nothing:
 * no port, no HTTP probes and no preStop delay (there are no endpoints to drain).
 */
export function appProcessPod(appPod: IPodSpec, process: AppProcess): IPodSpec {
  const app = appPod.containers[0]!;
  const {
    name: _name,
    command: _command,
    args: _args,
    ports: _ports,
    startupProbe: _startup,
    readinessProbe: _readiness,
    livenessProbe: _liveness,
    lifecycle: _lifecycle,
    resources,
    ...runtime
  } = app;
  const container: IContainer = {
    name: process.container,
    image: app.image,
    command: process.command,
    ...runtime,
    ...(process.resources ? { resources: process.resources } : resources ? { resources } : {}),
    ...(process.livenessProbe ? { livenessProbe: process.livenessProbe } : {}),
    ...(process.readinessProbe ? { readinessProbe: process.readinessProbe } : {}),
  };
  return {
    ...appPod,
    ...(process.restartPolicy ? { restartPolicy: process.restartPolicy } : {}),
    containers: [container],
  };
}
