/**
 * Protobuf request bodies at the wire level, built here by hand: the envelope, pointer fields that keep
 * an explicit zero, DeleteOptions, and the 415 for a kind the server has no field numbers for.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, type Reply } from "./helpers.js";

const PROTOBUF = "application/vnd.kubernetes.protobuf";

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited field (strings, bytes, messages). */
const bytesField = (field: number, value: number[] | string): number[] => {
  const data = typeof value === "string" ? [...Buffer.from(value)] : value;
  return [...varint((field << 3) | 2), ...varint(data.length), ...data];
};
/** A varint field (integers, booleans). */
const varintField = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];

function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  const typeMeta = [...bytesField(1, apiVersion), ...bytesField(2, kind)];
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytesField(1, typeMeta), ...bytesField(2, raw)]);
}

async function send(cluster: DevCluster, method: string, path: string, body: Buffer): Promise<Reply> {
  const res = await fetch(`${cluster.url}${path}`, { method, headers: { "Content-Type": PROTOBUF }, body });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe("protobuf request bodies", () => {
  let cluster: DevCluster;

  beforeAll(async () => {
    cluster = await startDevCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("keeps an explicit false of a pointer field and drops the zero values of the others", async () => {
    const meta = [...bytesField(1, "settings"), ...varintField(7, 0)];
    const configMap = [
      ...bytesField(1, meta),
      ...varintField(4, 0),
      ...bytesField(2, [...bytesField(1, "k"), ...bytesField(2, "v")]),
    ];
    const r = await send(
      cluster,
      "POST",
      "/api/v1/namespaces/default/configmaps",
      envelope("v1", "ConfigMap", configMap),
    );
    expect(r.status).toBe(201);
    expect(r.body.immutable).toBe(false);
    expect(r.body.data).toEqual({ k: "v" });
    expect(r.body.metadata).not.toHaveProperty("generation");
  });

  it("reads DeleteOptions: an orphaning delete leaves the orphan finalizer", async () => {
    await call(cluster, "POST", "/api/v1/namespaces/default/configmaps", {
      metadata: { name: "kept", finalizers: ["example.com/hold"] },
    });
    const options = [...bytesField(4, "Orphan")];
    const r = await send(
      cluster,
      "DELETE",
      "/api/v1/namespaces/default/configmaps/kept",
      envelope("meta.k8s.io/v1", "DeleteOptions", options),
    );
    expect(r.status).toBe(202);
    expect(r.body.metadata.finalizers).toEqual(expect.arrayContaining(["orphan", "example.com/hold"]));
  });

  it("refuses a kind it has no field numbers for with 415, asking for JSON", async () => {
    const lease = [...bytesField(1, bytesField(1, "l"))];
    const r = await send(
      cluster,
      "POST",
      "/apis/coordination.k8s.io/v1/namespaces/default/leases",
      envelope("coordination.k8s.io/v1", "Lease", lease),
    );
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe("UnsupportedMediaType");
    expect(r.body.message).toContain("the body of the request was in an unknown format");
    expect(r.body.details.causes[0].message).toContain(
      "(Lease cannot be decoded from protobuf here: send it as application/json)",
    );
  });
});
