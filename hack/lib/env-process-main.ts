// The child side of hack/lib/env-process.ts: the operator environment (embedded API server, workload
// simulator, the WebApp CRD) alone in this process, so its CPU can be read from /proc apart from the
// load that drives it. Answers the parent's requests for the API server's request statistics.
import { startEnv } from "./operator-env.js";

export type EnvProcessRequest = { id: number; op: "stats" | "resetStats" | "stop" };
export type EnvProcessMessage =
  | { ready: { kubeconfigPath: string } }
  | { id: number; result?: unknown; error?: string };

const send = (m: EnvProcessMessage, then?: () => void) => process.send!(m, undefined, {}, then);
const readyDelayMs = Number(process.env.ENV_PROCESS_READY_DELAY_MS ?? "0");
const env = await startEnv({ readyDelayMs });
let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= env.stop();
  return stopping;
};
// A parent that goes away without asking takes this process with it.
process.on("disconnect", () => void stop().finally(() => process.exit(0)));
process.on("message", async (req: EnvProcessRequest) => {
  try {
    if (req.op === "stats") send({ id: req.id, result: env.dc.stats.snapshot() });
    else if (req.op === "resetStats") {
      env.dc.stats.reset();
      send({ id: req.id });
    } else {
      await stop();
      send({ id: req.id }, () => process.exit(0));
    }
  } catch (err) {
    send({ id: req.id, error: (err as Error).message });
  }
});
send({ ready: { kubeconfigPath: env.kubeconfigPath } });
