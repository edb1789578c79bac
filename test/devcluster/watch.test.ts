/** Watch: initial state, replay from a resourceVersion, 410 Gone, bookmarks, selectors, timeouts, watch-list. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, NS_CONFIGMAPS, readWatch } from "./helpers.js";

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({
  metadata: { name, labels },
  data,
});

describe("watch", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster({ watchHistory: 20, bookmarkIntervalMs: 100 });
    await call(c, "POST", "/api/v1/namespaces", { metadata: { name: "w" } });
  });
  afterAll(async () => {
    await c.stop();
  });

  it("starts with the current state as ADDED, then streams changes", async () => {
    await call(c, "POST", NS_CONFIGMAPS("w"), cm("existing"));
    const { events } = await readWatch(c, `${NS_CONFIGMAPS("w")}?watch=true`, 4, {
      during: async () => {
        await new Promise((r) => setTimeout(r, 50));
        await call(c, "POST", NS_CONFIGMAPS("w"), cm("new"));
        await call(
          c,
          "PATCH",
          `${NS_CONFIGMAPS("w")}/new`,
          { data: { a: "1" } },
          { contentType: "application/merge-patch+json" },
        );
        await call(c, "DELETE", `${NS_CONFIGMAPS("w")}/new`);
      },
    });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      "ADDED existing",
      "ADDED new",
      "MODIFIED new",
      "DELETED new",
    ]);
    expect(events[2].object.data).toEqual({ a: "1" });
  });

  it("replays events after a resourceVersion", async () => {
    const list = await call(c, "GET", NS_CONFIGMAPS("w"));
    const rv = list.body.metadata.resourceVersion;
    await call(c, "POST", NS_CONFIGMAPS("w"), cm("after"));
    const { events } = await readWatch(c, `${NS_CONFIGMAPS("w")}?watch=1&resourceVersion=${rv}`, 1);
    expect(events[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "after" } } });
    expect(Number(events[0].object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
  });

  it("answers a too old resourceVersion with an ERROR event carrying 410 Expired", async () => {
    const rv = (await call(c, "GET", NS_CONFIGMAPS("w"))).body.metadata.resourceVersion;
    for (let i = 0; i < 25; i++) await call(c, "POST", NS_CONFIGMAPS("w"), cm(`flood${i}`));
    const { status, events } = await readWatch(
      c,
      `${NS_CONFIGMAPS("w")}?watch=true&resourceVersion=${rv}`,
      1,
    );
    expect(status).toBe(200);
    expect(events[0].type).toBe("ERROR");
    expect(events[0].object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
    expect(events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("turns selector transitions into ADDED and DELETED", async () => {
    await call(c, "POST", NS_CONFIGMAPS("w"), cm("moving", { team: "a" }));
    const { events } = await readWatch(c, `${NS_CONFIGMAPS("w")}?watch=true&labelSelector=team%3Db`, 2, {
      during: async () => {
        await new Promise((r) => setTimeout(r, 50));
        const patch = (team: string) =>
          call(
            c,
            "PATCH",
            `${NS_CONFIGMAPS("w")}/moving`,
            { metadata: { labels: { team } } },
            { contentType: "application/merge-patch+json" },
          );
        await patch("b");
        await patch("a");
      },
    });
    expect(events.map((e) => `${e.type} ${e.object.metadata.labels.team}`)).toEqual(["ADDED b", "DELETED a"]);
  });

  it("sends bookmarks when asked, and the watch-list initial-events-end bookmark", async () => {
    const { events } = await readWatch(
      c,
      `${NS_CONFIGMAPS("w")}?watch=true&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dexisting&resourceVersion=${(await call(c, "GET", NS_CONFIGMAPS("w"))).body.metadata.resourceVersion}`,
      1,
      { timeoutMs: 2000 },
    );
    expect(events[0].type).toBe("BOOKMARK");
    expect(events[0].object.kind).toBe("ConfigMap");
    const wl = await readWatch(
      c,
      `${NS_CONFIGMAPS("w")}?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dexisting`,
      2,
    );
    expect(wl.events[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "existing" } } });
    expect(wl.events[1].type).toBe("BOOKMARK");
    expect(wl.events[1].object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
  });

  it("ends the stream after timeoutSeconds", async () => {
    const started = Date.now();
    const { events } = await readWatch(
      c,
      `${NS_CONFIGMAPS("w")}?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone`,
      1,
      { timeoutMs: 5000 },
    );
    expect(events).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("watches a single object through the legacy /watch/ path", async () => {
    const { events } = await readWatch(c, `/api/v1/watch/namespaces/w/configmaps/existing`, 1);
    expect(events[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "existing" } } });
  });

  it("streams Table rows to kubectl-style clients", async () => {
    const accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    const { events } = await readWatch(
      c,
      `${NS_CONFIGMAPS("w")}?watch=true&fieldSelector=metadata.name%3Dexisting`,
      1,
      { accept },
    );
    expect(events[0].object.kind).toBe("Table");
    expect(events[0].object.columnDefinitions.map((d: { name: string }) => d.name)).toEqual([
      "Name",
      "Data",
      "Age",
    ]);
    expect(events[0].object.rows[0].cells[0]).toBe("existing");
  });
});
