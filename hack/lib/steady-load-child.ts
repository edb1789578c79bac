// The constant-rate load of hack/lib/steady-load.ts in a process of its own (see
// steady-load-process.ts, which forks this file): its timers and its clock never wait for the
// benchmark's own process, which runs the whole embedded cluster on one thread.
import { type LoadReport, type SteadyLoadOptions, startSteadyLoad } from "./steady-load.js";

export type ChildRequest = { op: "stop"; windows: [number, number][] };
export type ChildMessage =
  | { op: "started"; originMs: number }
  | { op: "stopped"; total: LoadReport; windows: LoadReport[] };

const send = (m: ChildMessage) => process.send?.(m);
const options = JSON.parse(process.argv[2] ?? "{}") as SteadyLoadOptions;
const load = startSteadyLoad(options);
send({ op: "started", originMs: performance.timeOrigin + performance.now() - load.elapsedMs() });

process.on("message", async (m: ChildRequest) => {
  if (m.op !== "stop") return;
  const total = await load.stop();
  send({ op: "stopped", total, windows: m.windows.map(([from, to]) => load.report(from, to)) });
  process.disconnect();
});
// The parent gone (Ctrl-C, a crash): stop sending.
process.on("disconnect", () => void load.stop().then(() => process.exit(0)));
