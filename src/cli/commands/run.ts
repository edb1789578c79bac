import { readFileSync } from "node:fs";
import { createOperator } from "../../controller/webapp-controller.js";
import { loadKubeConfig } from "../../kube/config.js";
import { parseBindAddress } from "../../runtime/health-server.js";
import { createLogger } from "../../runtime/logger.js";
import { type Command, type CommandIO, UsageError } from "../command.js";
import { type FlagSpec, type Flags, parseFlags } from "../flags.js";
import { tuneHeapForController } from "../heap-tuning.js";
import { VERSION } from "../version.js";

const IN_CLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

const help = `Usage: webapp-operator run [options]

Runs the operator: watches WebApp resources and keeps their children (NGINX and app server
Deployments, Services, ConfigMap, autoscaler, disruption budgets, volumes, network policy,
ingress) and their status in line with the spec, until SIGTERM or SIGINT.

Connection:
  --kubeconfig PATH                    kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the
                                       in-cluster service account)
  --context NAME                       kubeconfig context (default: the current context)
  --namespaces NS[,NS...]              namespaces to watch (default: all; env WATCH_NAMESPACES)

Work:
  --concurrency N                      WebApps reconciled at once (default 2)
  --resync-period DURATION             reconcile every WebApp at least this often (default 10m)
  --watch-stall-timeout DURATION       rebuild a watch silent for this long (default 2m)

Leader election (run several replicas, only the elected one reconciles):
  --leader-elect                       enable leader election with a Lease (default off)
  --leader-election-namespace NS       namespace of the Lease webapp-operator-leader (default: env
                                       POD_NAMESPACE, the in-cluster namespace, or "default")
  --leader-election-lease-duration D   how long a lease is valid without renewal (default 15s)
  --leader-election-renew-deadline D   the leader steps down if it cannot renew within this (default 10s)
  --leader-election-retry-period D     time between election attempts and renewals (default 2s)

Observability:
  --metrics-bind-address ADDR          Prometheus /metrics on host:port or :port; 0 disables (default :8080)
  --health-probe-bind-address ADDR     /healthz and /readyz on host:port or :port; 0 disables (default :8081)
  --log-level LEVEL                    trace, debug, info, warn, error, fatal or silent (default info)

Durations take a unit: 500ms, 15s, 10m, 1h. Logs are JSON lines on stderr.
Exit status: 0 after a clean shutdown, 1 on a startup error or a lost leader election.
`;

const RUN_FLAGS: Record<string, FlagSpec> = {
  kubeconfig: {},
  context: {},
  namespaces: {},
  concurrency: {},
  "resync-period": {},
  "watch-stall-timeout": {},
  "leader-elect": { boolean: true },
  "leader-election-namespace": {},
  "leader-election-lease-duration": {},
  "leader-election-renew-deadline": {},
  "leader-election-retry-period": {},
  "metrics-bind-address": {},
  "health-probe-bind-address": {},
  "log-level": {},
};

/** `--flag value`, `--flag=value` and boolean `--flag` / `--flag=false`; unknown flags are errors. */
export function parseRunFlags(args: string[]): Flags {
  return parseFlags("run", args, RUN_FLAGS);
}

function operatorNamespace(): string {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, "utf8").trim() || "default";
  } catch {
    return "default";
  }
}

async function run(args: string[], _io: CommandIO): Promise<number> {
  const flags = parseRunFlags(args);
  tuneHeapForController();
  const level = flags.logLevel("info");
  const concurrency = flags.int("concurrency", { fallback: 2, min: 1 }) ?? 2;
  const namespaces = (flags.get("namespaces") ?? process.env.WATCH_NAMESPACES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const leaseDurationMs = flags.durationMs("leader-election-lease-duration", "15s");
  const renewDeadlineMs = flags.durationMs("leader-election-renew-deadline", "10s");
  const retryPeriodMs = flags.durationMs("leader-election-retry-period", "2s");
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
    throw new UsageError("leader election needs retry period < renew deadline < lease duration");
  }
  const resyncPeriodMs = flags.durationMs("resync-period", "10m");
  const stallTimeoutMs = flags.durationMs("watch-stall-timeout", "2m");
  for (const name of ["metrics-bind-address", "health-probe-bind-address"]) {
    const value = flags.get(name);
    if (value === undefined) continue;
    try {
      parseBindAddress(value);
    } catch (err) {
      throw new UsageError(`--${name}: ${(err as Error).message}`);
    }
  }

  const log = createLogger(level);
  let kubeConfig: Awaited<ReturnType<typeof loadKubeConfig>>;
  try {
    kubeConfig = await loadKubeConfig({ kubeconfig: flags.get("kubeconfig"), context: flags.get("context") });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const manager = createOperator({
    kubeConfig,
    logger: log,
    version: VERSION,
    namespaces,
    concurrency,
    resyncPeriodMs,
    stallTimeoutMs,
    metricsBindAddress: flags.get("metrics-bind-address") ?? ":8080",
    healthProbeBindAddress: flags.get("health-probe-bind-address") ?? ":8081",
    ...(flags.get("leader-elect") === "true"
      ? {
          leaderElection: {
            namespace: flags.get("leader-election-namespace") ?? operatorNamespace(),
            leaseDurationMs,
            renewDeadlineMs,
            retryPeriodMs,
          },
        }
      : {}),
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, "signal received");
    void manager.stop();
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    await manager.start();
  } catch (err) {
    await manager.stop();
    throw new UsageError(`could not start: ${(err as Error).message}`);
  }
  const reason = await manager.done;
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  log.flush();
  return reason === "stopped" ? 0 : 1;
}

export const runCommand: Command = {
  name: "run",
  summary: "run the operator: reconcile WebApps on a cluster",
  help,
  run,
};
