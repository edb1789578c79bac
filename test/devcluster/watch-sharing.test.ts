/**
 * One serialization per object version, shared by the write's answer, GETs, LIST items and every
 * watcher, and watch lines sent together per turn of the event loop: each watcher must still see exactly
 * its own events (start point, selector), its own bookmarks, and every event before its stream ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { jsonText, listJsonText, markStored } from "../../src/devcluster/storage/stored-json.js";
import { call, eventually, NS_CONFIGMAPS } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON
type Event = any;

/** An open watch collecting its raw lines until it ends or is stopped. */
async function openWatch(cluster: DevCluster, path: string) {
  const controller = new AbortController();
  const res = await fetch(`${cluster.url}${path}`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const lines: string[] = [];
  let ended = false;
  const reading = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          if (buffer.slice(0, nl).trim()) lines.push(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
        }
      }
      ended = true;
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    }
  })();
  return {
    lines,
    events: (): Event[] => lines.map((l) => JSON.parse(l)),
    ended: () => ended,
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

const configMap = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "share", labels },
  data: { name },
});

describe("shared serialization and batched watch lines", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster({ bookmarkIntervalMs: 100 });
    await call(c, "POST", "/api/v1/namespaces", { metadata: { name: "share" } });
  });
  afterAll(async () => {
    await c.stop();
  });

  it("gives each watcher its own events, from its own start and through its own selector", async () => {
    c.apply(configMap("before", { team: "b" }));
    const rv = (await call(c, "GET", NS_CONFIGMAPS("share"))).body.metadata.resourceVersion;
    const everything = await openWatch(c, `${NS_CONFIGMAPS("share")}?watch=true`);
    const fromRv = await openWatch(c, `${NS_CONFIGMAPS("share")}?watch=true&resourceVersion=${rv}`);
    const teamB = await openWatch(c, `${NS_CONFIGMAPS("share")}?watch=true&labelSelector=team%3Db`);
    try {
      // Written in one turn of the event loop: their lines go out together.
      for (let i = 0; i < 30; i++) c.apply(configMap(`burst-${i}`, { team: i % 3 === 0 ? "b" : "a" }));
      await eventually(() => (everything.lines.length >= 31 ? true : undefined));
      await eventually(() => (fromRv.lines.length >= 30 ? true : undefined));
      await eventually(() => (teamB.lines.length >= 11 ? true : undefined));

      const names = (w: { events: () => Event[] }) =>
        w.events().map((e) => `${e.type} ${e.object.metadata.name}`);
      const burst = Array.from({ length: 30 }, (_, i) => `ADDED burst-${i}`);
      expect(names(everything)).toEqual(["ADDED before", ...burst]);
      expect(names(fromRv)).toEqual(burst);
      expect(names(teamB)).toEqual(["ADDED before", ...burst.filter((_, i) => i % 3 === 0)]);
      // Each event carries its own object's resourceVersion, in order.
      const rvs = fromRv.events().map((e) => Number(e.object.metadata.resourceVersion));
      expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
      expect(rvs[0]).toBeGreaterThan(Number(rv));
    } finally {
      await Promise.all([everything.stop(), fromRv.stop(), teamB.stop()]);
    }
  });

  it("sends bookmarks only to the watchers that asked for them", async () => {
    const withBookmarks = await openWatch(
      c,
      `${NS_CONFIGMAPS("share")}?watch=true&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dnone`,
    );
    const without = await openWatch(
      c,
      `${NS_CONFIGMAPS("share")}?watch=true&fieldSelector=metadata.name%3Dnone`,
    );
    try {
      const written = c.apply(configMap("bookmarked"));
      await eventually(() => (withBookmarks.lines.length >= 2 ? true : undefined));
      const bookmarks = withBookmarks.events();
      expect(bookmarks.every((e) => e.type === "BOOKMARK")).toBe(true);
      expect(Number(bookmarks.at(-1).object.metadata.resourceVersion)).toBeGreaterThanOrEqual(
        Number(written.metadata.resourceVersion),
      );
      expect(without.lines).toEqual([]);
    } finally {
      await Promise.all([withBookmarks.stop(), without.stop()]);
    }
  });

  it("writes an object version with the same text in its write's answer, GET, LIST and watch lines", async () => {
    const watch = await openWatch(
      c,
      `${NS_CONFIGMAPS("share")}?watch=true&fieldSelector=metadata.name%3Dsame`,
    );
    try {
      const created = await fetch(`${c.url}${NS_CONFIGMAPS("share")}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ metadata: { name: "same", labels: { z: "1", a: "2" } }, data: { k: "v" } }),
      });
      const answer = await created.text();
      const got = await fetch(`${c.url}${NS_CONFIGMAPS("share")}/same`).then((r) => r.text());
      const listed = await fetch(`${c.url}${NS_CONFIGMAPS("share")}?fieldSelector=metadata.name%3Dsame`).then(
        (r) => r.text(),
      );
      await eventually(() => (watch.lines.length >= 1 ? true : undefined));
      expect(got).toBe(answer);
      expect(listed).toContain(`"items":[${answer}]`);
      expect(watch.lines[0]).toBe(`{"type":"ADDED","object":${answer}}`);
      expect(JSON.parse(listed)).toEqual({
        kind: "ConfigMapList",
        apiVersion: "v1",
        metadata: { resourceVersion: expect.any(String) },
        items: [JSON.parse(answer)],
      });
    } finally {
      await watch.stop();
    }
  });

  it("delivers every event of a turn before a watch closed in that same turn ends", async () => {
    const watch = await openWatch(c, `${NS_CONFIGMAPS("share")}?watch=true&labelSelector=closing%3Dyes`);
    for (let i = 0; i < 200; i++) c.apply(configMap(`closing-${i}`, { closing: "yes" }));
    expect(c.faults.closeWatches({ resource: "configmaps" })).toBeGreaterThan(0);
    await eventually(() => (watch.ended() ? true : undefined), 5000);
    await watch.stop();
    expect(watch.events().map((e) => e.object.metadata.name)).toEqual(
      Array.from({ length: 200 }, (_, i) => `closing-${i}`),
    );
  });
});

describe("stored JSON text", () => {
  it("writes a list exactly as JSON.stringify would", () => {
    const envelope = { kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: "7" } };
    const items = [{ metadata: { name: "a" } }, { metadata: { name: "b" }, data: { x: "1" } }];
    expect(listJsonText(envelope, items)).toBe(JSON.stringify({ ...envelope, items }));
    expect(listJsonText(envelope, [])).toBe(JSON.stringify({ ...envelope, items: [] }));
    expect(listJsonText({}, items)).toBe(JSON.stringify({ items }));
  });

  it("shares the text of a stored object, never that of one that may change", () => {
    const stored = Object.freeze({ metadata: Object.freeze({ name: "kept" }) });
    markStored(stored);
    expect(jsonText(stored)).toBe('{"metadata":{"name":"kept"}}');
    expect(jsonText(stored)).toBe(jsonText(stored));
    const loose: { metadata: { name: string } } = { metadata: { name: "before" } };
    expect(jsonText(loose)).toBe('{"metadata":{"name":"before"}}');
    loose.metadata.name = "after";
    expect(jsonText(loose)).toBe('{"metadata":{"name":"after"}}');
  });
});
