import type { IProbe } from "kubernetes-models/v1/Probe";

/** HTTP probes. Startup gets a long budget so slow imports do not trip liveness on first boot. */
export function httpProbes(
  path: string,
  host?: string,
): { startupProbe: IProbe; readinessProbe: IProbe; livenessProbe: IProbe } {
  const httpGet = {
    path,
    port: "http",
    ...(host ? { httpHeaders: [{ name: "Host", value: host }] } : {}),
  };
  return {
    startupProbe: { httpGet, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 60 },
    readinessProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    livenessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
  };
}
