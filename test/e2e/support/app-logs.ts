/** The app tier's access log, read as a user reads it: `kubectl logs -l ...` over every app pod. */
import { waitFor } from "../../../hack/lib/operator-env.js";
import { type E2e, NAMESPACE } from "./e2e-env.js";

export function appLogs(e: E2e, instance: string): Promise<string> {
  return e.kubectl.ok([
    "logs",
    "-n",
    NAMESPACE,
    "-l",
    `app.kubernetes.io/instance=${instance},app.kubernetes.io/component=app`,
    "--tail=-1",
    "--prefix",
  ]);
}

/**
 * Requests `path` through the entry Service, then reads the app's logs until they show it (a server
 * writes its access log line after the answer); returns those logs.
 */
export async function fetchUntilLogged(
  e: E2e,
  instance: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await e.request(instance, path, { headers });
  if (res.status !== 200) throw new Error(`GET ${path} through ${instance} answered ${res.status}`);
  return waitFor(
    async () => {
      const logs = await appLogs(e, instance);
      return logs.includes(path) ? logs : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 500, message: `${path} in the app log of ${instance}` },
  );
}
