import { readFileSync } from "node:fs";
import { parseDuration } from "../../controller/duration.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../controller/logger.js";
import { Manager } from "../../controller/manager.js";
import { loadKubeConfig } from "../../kube/config.js";
import { type Command, type CommandIO, UsageError } from "../command.js";

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

const VALUE_FLAGS = new Set([
  "kubeconfig",
  "context",
  "namespaces",
  "concurrency",
  "resync-period",
  "watch-stall-timeout",
  "leader-election-namespace",
  "leader-election-lease-duration",
  "leader-election-renew-deadline",
  "leader-election-retry-period",
  "metrics-bind-address",
  "health-probe-bind-address",
  "log-level",
]);
const BOOL_FLAGS = new Set(["leader-elect"]);

/** `--flag value`, `--flag=value` and boolean `--flag` / `--flag=false`; unknown flags are errors. */
export function parseRunFlags(args: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}" (see webapp-operator run --help)`);
    const name = m[1] ?? "";
    if (BOOL_FLAGS.has(name)) {
      const value = m[2] ?? "true";
      if (value !== "true" && value !== "false")
        throw new UsageError(`--${name} takes true or false, not "${value}"`);
      flags.set(name, value);
    } else if (VALUE_FLAGS.has(name)) {
      const value = m[2] ?? args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown flag --${name} (see webapp-operator run --help)`);
    }
  }
  return flags;
}

function duration(flags: Map<string, string>, name: string, fallback: string): number {
  try {
    return parseDuration(flags.get(name) ?? fallback, `--${name}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
  const level = (flags.get("log-level") ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  const concurrency = Number(flags.get("concurrency") ?? "2");
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(
      `--concurrency must be a whole number of at least 1, not "${flags.get("concurrency")}"`,
    );
  }
  const namespaces = (flags.get("namespaces") ?? process.env.WATCH_NAMESPACES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const leaseDurationMs = duration(flags, "leader-election-lease-duration", "15s");
  const renewDeadlineMs = duration(flags, "leader-election-renew-deadline", "10s");
  const retryPeriodMs = duration(flags, "leader-election-retry-period", "2s");
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
    throw new UsageError("leader election needs retry period < renew deadline < lease duration");
  }
  const resyncPeriodMs = duration(flags, "resync-period", "10m");
  const stallTimeoutMs = duration(flags, "watch-stall-timeout", "2m");

  const log = createLogger(level);
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig({ kubeconfig: flags.get("kubeconfig"), context: flags.get("context") });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const manager = new Manager({
    kubeConfig,
    logger: log,
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
