import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RequestObserver } from "../kube/transport.js";
import type { QueueObserver } from "./queue.js";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The operator's metrics, under controller-runtime's names so existing dashboards and alerts work. */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller and result.",
    labelNames: ["controller", "result"],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller.",
    labelNames: ["controller"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly maxConcurrent = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue.",
    labelNames: ["name", "controller"],
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue.",
    labelNames: ["name", "controller"],
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue.",
    labelNames: ["name", "controller"],
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested.",
    labelNames: ["name", "controller"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes.",
    labelNames: ["name", "controller"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly restRequests = new Counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests, partitioned by status code, method, and host.",
    labelNames: ["code", "method", "host"],
    registers: [this.registry],
  });
  readonly leaderStatus = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.",
    labelNames: ["name"],
    registers: [this.registry],
  });

  constructor(
    /** The controller's name, the `controller` label of its metrics. */
    readonly controller: string,
    defaultMetrics = true,
  ) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  // The labelled children are looked up once: these run for every queue operation and request,
  // and resolving labels each time costs more than the update.
  queueObserver(): QueueObserver {
    const labels = { name: this.controller, controller: this.controller };
    const depth = this.queueDepth.labels(labels);
    const adds = this.queueAdds.labels(labels);
    const retries = this.queueRetries.labels(labels);
    const latency = this.queueLatency.labels(labels);
    const work = this.workDuration.labels(labels);
    return {
      depth: (n) => depth.set(n),
      added: () => adds.inc(),
      retried: () => retries.inc(),
      queued: (s) => latency.observe(s),
      worked: (s) => work.observe(s),
    };
  }

  requestObserver(): RequestObserver {
    const children = new Map<string, { inc(): void }>();
    return ({ method, host, code }) => {
      const key = `${method} ${host} ${code}`;
      let child = children.get(key);
      if (!child) {
        child = this.restRequests.labels({ method, host, code });
        children.set(key, child);
      }
      child.inc();
    };
  }
}
