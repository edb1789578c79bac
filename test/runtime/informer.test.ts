import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { WatchEvent, WatchHandle } from "../../src/kube/client.js";
import { KubeApiError } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { Informer, type ListWatchSource } from "../../src/runtime/informer.js";

const log = pino({ level: "silent" });

function cm(name: string, rv: string, data = "x"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", resourceVersion: rv },
    data: { data },
  };
}

/** A scripted API: each list/watch call takes the next behaviour from its queue. */
class FakeSource implements ListWatchSource {
  objects: KubeObject[] = [];
  rv = "10";
  lists = 0;
  watchesFrom: string[] = [];
  listFailures = 0;
  current: { emit(e: WatchEvent): void; close(): void; fail(e: Error): void } | undefined;
  watchBehaviours: ("normal" | "gone" | "refuse")[] = [];

  async list() {
    this.lists++;
    if (this.listFailures > 0) {
      this.listFailures--;
      throw new KubeApiError(500, "injected");
    }
    return { items: this.objects.map((o) => structuredClone(o)), resourceVersion: this.rv };
  }

  async watch(rv: string, _timeout: number, onEvent: (e: WatchEvent) => void): Promise<WatchHandle> {
    this.watchesFrom.push(rv);
    const behaviour = this.watchBehaviours.shift() ?? "normal";
    if (behaviour === "refuse") throw new KubeApiError(500, "watch refused");
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const closed = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.current = {
      emit: (e) => onEvent(e),
      close: () => settle.resolve(),
      fail: (e) => settle.reject(e),
    };
    if (behaviour === "gone") {
      setTimeout(() => {
        onEvent({ type: "ERROR", object: { code: 410, message: "too old", reason: "Expired" } as never });
        settle.resolve();
      }, 5);
    }
    return { stop: () => settle.reject(new Error("stopped")), closed };
  }
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

function informerWith(source: FakeSource, opts: { stallTimeoutMs?: number } = {}) {
  const events: string[] = [];
  const informer = new Informer(
    source,
    {
      onAdd: (o) => events.push(`add ${o.metadata.name}`),
      onUpdate: (_a, b) => events.push(`update ${b.metadata.name}`),
      onDelete: (o) => events.push(`delete ${o.metadata.name}`),
    },
    log,
    { name: "test", restartBackoff: { baseMs: 5, maxMs: 20 }, stallTimeoutMs: opts.stallTimeoutMs ?? 10_000 },
  );
  return { informer, events };
}

describe("Informer", () => {
  it("lists, then applies watch events, resuming the watch from the list's resourceVersion", async () => {
    const src = new FakeSource();
    src.objects = [cm("a", "5")];
    const { informer, events } = informerWith(src);
    informer.start();
    await informer.waitForSync();
    expect(informer.store.get("ns/a")).toBeDefined();
    await until(() => src.current !== undefined);
    expect(src.watchesFrom).toEqual(["10"]);
    src.current!.emit({ type: "ADDED", object: cm("b", "11") });
    src.current!.emit({ type: "MODIFIED", object: cm("a", "12", "y") });
    src.current!.emit({ type: "DELETED", object: cm("b", "13") });
    expect(events).toEqual(["add a", "add b", "update a", "delete b"]);
    await informer.stop();
  });

  it("freezes cached objects so nobody can mutate them", async () => {
    const src = new FakeSource();
    src.objects = [cm("a", "5")];
    const { informer } = informerWith(src);
    informer.start();
    await informer.waitForSync();
    const obj = informer.store.get("ns/a")!;
    expect(() => {
      (obj.metadata as { name: string }).name = "b";
    }).toThrow(TypeError);
    expect(Object.isFrozen(obj.data)).toBe(true);
    await informer.stop();
  });

  it("re-watches from the last resourceVersion seen when the server ends a watch", async () => {
    const src = new FakeSource();
    const { informer } = informerWith(src);
    informer.start();
    await until(() => src.current !== undefined);
    src.current!.emit({ type: "ADDED", object: cm("a", "20") });
    src.current!.emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "25" } } as never });
    await new Promise((r) => setTimeout(r, 1100)); // a watch that ends at once counts as a failure
    src.current!.close();
    await until(() => src.watchesFrom.length === 2);
    expect(src.watchesFrom).toEqual(["10", "25"]);
    expect(src.lists).toBe(1);
    await informer.stop();
  });

  it("relists when the server answers 410 Gone, dropping objects deleted meanwhile", async () => {
    const src = new FakeSource();
    src.objects = [cm("a", "5"), cm("b", "6")];
    src.watchBehaviours = ["gone"];
    const { informer, events } = informerWith(src);
    informer.start();
    await informer.waitForSync();
    src.objects = [cm("a", "5")];
    src.rv = "30";
    await until(() => src.lists === 2 && src.watchesFrom.length === 2);
    expect(informer.store.get("ns/b")).toBeUndefined();
    expect(events).toContain("delete b");
    expect(src.watchesFrom[1]).toBe("30");
    await informer.stop();
  });

  it("keeps restarting after list and watch errors (client-node's informer would stop)", async () => {
    const src = new FakeSource();
    src.listFailures = 3;
    src.watchBehaviours = ["refuse", "refuse"];
    src.objects = [cm("a", "5")];
    const { informer } = informerWith(src);
    informer.start();
    await informer.waitForSync();
    expect(src.lists).toBe(4);
    await until(() => src.watchesFrom.length === 3 && src.current !== undefined);
    expect(informer.stats.restarts).toBeGreaterThanOrEqual(5);
    await informer.stop();
  });

  it("rebuilds a watch that went silent, from the last resourceVersion", async () => {
    const src = new FakeSource();
    const { informer } = informerWith(src, { stallTimeoutMs: 100 });
    informer.start();
    await until(() => src.current !== undefined);
    src.current!.emit({ type: "ADDED", object: cm("a", "15") });
    await until(() => src.watchesFrom.length >= 2);
    expect(src.watchesFrom[1]).toBe("15");
    expect(informer.stats.stalls).toBeGreaterThanOrEqual(1);
    expect(src.lists).toBe(1);
    await informer.stop();
  });

  it("does not report unchanged objects again on a relist", async () => {
    const src = new FakeSource();
    src.objects = [cm("a", "5")];
    src.watchBehaviours = ["gone"];
    const { informer, events } = informerWith(src);
    informer.start();
    await until(() => src.lists === 2 && src.current !== undefined);
    expect(events).toEqual(["add a"]);
    await informer.stop();
  });
});
