// Which WebApps are Ready, followed through one watch instead of listing them all again and again: at
// a thousand WebApps a readiness poll is megabytes of JSON for the API server to write and for the
// benchmark to read, load that would be counted against the API server.
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import type { KubeClient, WatchEvent, WatchHandle } from "../../src/kube/client.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { condition } from "./operator-env.js";

/** The generation a WebApp is Ready for (Ready=True and observed), or undefined. */
function readyGeneration(webapp: KubeObject): number | undefined {
  const observed = (webapp.status as { observedGeneration?: number } | undefined)?.observedGeneration;
  return condition(webapp, "Ready")?.status === "True" && observed === webapp.metadata.generation
    ? observed
    : undefined;
}

export interface ReadyWatch {
  /**
   * Resolves with performance.now() at the event that made `count` WebApps Ready for `generation`;
   * rejects after `timeoutMs`.
   */
  whenReady(generation: number, count: number, timeoutMs: number): Promise<number>;
  stop(): void;
}

export async function watchReady(client: KubeClient, namespace: string): Promise<ReadyWatch> {
  const readyFor = new Map<string, number>();
  const readyCount = new Map<number, number>();
  const waiters: {
    generation: number;
    count: number;
    resolve: (at: number) => void;
    reject: (err: Error) => void;
  }[] = [];
  const record = (name: string, generation: number | undefined) => {
    const before = readyFor.get(name);
    if (before === generation) return;
    if (before !== undefined) readyCount.set(before, (readyCount.get(before) ?? 0) - 1);
    if (generation === undefined) readyFor.delete(name);
    else {
      readyFor.set(name, generation);
      readyCount.set(generation, (readyCount.get(generation) ?? 0) + 1);
    }
    const now = performance.now();
    for (const w of [...waiters]) {
      if ((readyCount.get(w.generation) ?? 0) < w.count) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(now);
    }
  };
  let stopped = false;
  let handle: WatchHandle | undefined;
  let failure: Error | undefined;
  const follow = async (): Promise<void> => {
    const list = await client.list(WEBAPP_TYPE, namespace);
    for (const w of list.items) record(w.metadata.name!, readyGeneration(w));
    const listed = new Set(list.items.map((w) => w.metadata.name!));
    for (const name of [...readyFor.keys()]) if (!listed.has(name)) record(name, undefined);
    let rv = list.resourceVersion;
    handle = await client.watch(WEBAPP_TYPE, namespace, { resourceVersion: rv }, (e: WatchEvent) => {
      if (e.type === "ERROR") return handle?.stop();
      rv = e.object.metadata.resourceVersion ?? rv;
      if (e.type === "BOOKMARK") return;
      record(e.object.metadata.name!, e.type === "DELETED" ? undefined : readyGeneration(e.object));
    });
    // A watch the server ends (timeout, 410 Gone) is followed again from a fresh list.
    handle.closed
      .catch(() => undefined)
      .then(() => (stopped ? undefined : follow()))
      .catch((err: Error) => {
        failure = err;
        for (const w of waiters.splice(0)) w.reject(err);
      });
  };
  await follow();
  return {
    whenReady(generation, count, timeoutMs) {
      if (failure) return Promise.reject(failure);
      if ((readyCount.get(generation) ?? 0) >= count) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for ${count} WebApps Ready at generation ${generation}`));
        }, timeoutMs);
        const settle = () => clearTimeout(timer);
        const waiter = {
          generation,
          count,
          resolve: (at: number) => {
            settle();
            resolve(at);
          },
          reject: (err: Error) => {
            settle();
            reject(err);
          },
        };
        waiters.push(waiter);
      });
    },
    stop() {
      stopped = true;
      handle?.stop();
    },
  };
}
