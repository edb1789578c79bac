/**
 * The node's side of `kubectl logs`: the container instance's CRI log file, filtered by time, cut to the
 * last lines and to a byte limit, with or without timestamps, and followed while the instance runs.
 */
import { open, readFile } from "node:fs/promises";
import { badRequest } from "../errors.js";
import type { PodLogOptions, PodLogSource } from "../http/pod-log.js";
import type { KubeObject } from "../types.js";
import { type LogRecord, parseCriLog } from "./container-log-file.js";
import type { PodWorker } from "./pod-worker.js";

const FOLLOW_POLL_MS = 150;

function format(records: LogRecord[], o: PodLogOptions): string {
  return records.map((r) => (o.timestamps ? `${r.time} ${r.text}` : r.text)).join("");
}

export class NodeLogSource implements PodLogSource {
  constructor(
    readonly nodeName: string,
    private readonly worker: (uid: string) => PodWorker | undefined,
  ) {}

  async streamLogs(
    pod: KubeObject,
    o: PodLogOptions,
    write: (chunk: string) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    const worker = this.worker(pod.metadata.uid ?? "");
    const container = worker?.container(o.container);
    if (!worker || !container)
      throw badRequest(`container "${o.container}" in pod "${pod.metadata.name}" is terminated`);
    let file: string | undefined;
    try {
      file = container.logFileFor(o.previous, pod.metadata.name ?? "");
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    if (!file) return;
    let budget = o.limitBytes ?? Number.POSITIVE_INFINITY;
    const emit = async (records: LogRecord[]) => {
      const kept =
        o.sinceMs === undefined ? records : records.filter((r) => Date.parse(r.time) >= o.sinceMs!);
      let text = format(kept, o);
      if (Buffer.byteLength(text) > budget) text = Buffer.from(text).subarray(0, budget).toString("utf8");
      budget -= Buffer.byteLength(text);
      if (text) await write(text);
    };
    const content = await readFile(file, "utf8").catch(() => "");
    let offset = Buffer.byteLength(content);
    const parsed = parseCriLog(content);
    let records = parsed.records;
    if (o.tailLines !== undefined) records = o.tailLines === 0 ? [] : records.slice(-o.tailLines);
    await emit(records);
    if (!o.follow || o.previous) return;
    let rest = parsed.rest;
    const handle = await open(file, "r");
    try {
      while (!signal.aborted && budget > 0) {
        const writing = container.isWriting(file);
        const { size } = await handle.stat();
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          await handle.read(buf, 0, buf.length, offset);
          offset = size;
          const next = parseCriLog(rest + buf.toString("utf8"));
          rest = next.rest;
          await emit(next.records);
          continue;
        }
        // The instance has stopped and everything it wrote has been sent: the stream ends, as with the kubelet.
        if (!writing) return;
        await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      }
    } finally {
      await handle.close();
    }
  }
}
