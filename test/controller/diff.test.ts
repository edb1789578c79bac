import { describe, expect, it } from "vitest";
import { trimForCache } from "../../src/controller/cache-trim.js";
import { desiredMatchesLive, ownedFieldPaths, parseQuantity } from "../../src/controller/diff.js";
import type { KubeObject } from "../../src/kube/resources.js";

const desired: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop-app", namespace: "ns", labels: { a: "1" } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          {
            name: "app",
            image: "shop:1",
            env: [{ name: "X", value: "1" }],
            resources: { requests: { cpu: "0.5" } },
          },
        ],
        volumes: [{ name: "tmp", emptyDir: {} }],
      },
    },
  },
};

let version = 7;

/** What the server returns: our fields plus defaults and other managers' fields (each a new version). */
function live(): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "shop-app",
      namespace: "ns",
      uid: "u1",
      resourceVersion: String(version++),
      labels: { a: "1", "added-by-someone": "x" },
    },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate" },
      template: {
        spec: {
          containers: [
            {
              name: "app",
              image: "shop:1",
              imagePullPolicy: "IfNotPresent",
              env: [{ name: "X", value: "1" }],
              resources: { requests: { cpu: "500m" } },
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
          restartPolicy: "Always",
        },
      },
    },
    status: { replicas: 2 },
  };
}

describe("desiredMatchesLive", () => {
  it("ignores server defaults, other managers' fields, status and quantity spelling", () => {
    expect(desiredMatchesLive(desired, live(), "webapp-operator")).toBe(true);
  });

  it("sees a changed field we own", () => {
    const l = live() as { spec: { template: { spec: { containers: { image: string }[] } } } } & KubeObject;
    l.spec.template.spec.containers[0]!.image = "shop:2";
    expect(desiredMatchesLive(desired, l, "webapp-operator")).toBe(false);
  });

  it("sees a list element added or removed", () => {
    const l = live() as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } } & KubeObject;
    l.spec.template.spec.containers[0]!.env.push({ name: "Y", value: "2" });
    expect(desiredMatchesLive(desired, l, "webapp-operator")).toBe(false);
  });

  it("sees a field we no longer send but still own (it would linger without an apply)", () => {
    const l = live();
    l.metadata.managedFields = [
      {
        manager: "webapp-operator",
        operation: "Apply",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:a": {}, "f:old": {} } },
          "f:spec": { "f:replicas": {} },
        },
      },
    ];
    (l.metadata.labels as Record<string, string>).old = "v";
    expect(desiredMatchesLive(desired, l, "webapp-operator")).toBe(false);
    l.metadata.resourceVersion = String(version++); // the server's next version of the object
    l.metadata.managedFields = [
      {
        manager: "webapp-operator",
        operation: "Apply",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:labels": { "f:a": {} } }, "f:spec": { "f:replicas": {} } },
      },
    ];
    expect(desiredMatchesLive(desired, l, "webapp-operator")).toBe(true);
  });

  it("gives the same verdicts on the cache's compact copy of our managedFields entry", () => {
    const l = live();
    l.metadata.managedFields = [
      {
        manager: "webapp-operator",
        operation: "Apply",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:a": {}, "f:old": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:template": { "f:spec": { "f:containers": { 'k:{"name":"app"}': {} } } },
          },
        },
      },
      { manager: "kubectl", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:spec": {} } },
    ];
    (l.metadata.labels as Record<string, string>).old = "v";
    const cached = trimForCache(l);
    expect(cached.metadata.managedFields).toHaveLength(1);
    expect(cached.metadata.managedFields?.[0]?.fieldsV1).toBeUndefined();
    expect(desiredMatchesLive(desired, cached, "webapp-operator")).toBe(false);
    const withoutOld = structuredClone(desired);
    (withoutOld.metadata.labels as Record<string, string>).old = "v";
    expect(desiredMatchesLive(withoutOld, trimForCache(l), "webapp-operator")).toBe(true);
  });

  it("sees a missing replicas only when we send it (an HPA-owned Deployment omits it)", () => {
    const noReplicas = structuredClone(desired) as { spec: { replicas?: number } } & KubeObject;
    delete noReplicas.spec.replicas;
    const l = live() as { spec: { replicas: number } } & KubeObject;
    l.spec.replicas = 7;
    expect(desiredMatchesLive(noReplicas, l, "webapp-operator")).toBe(true);
    expect(desiredMatchesLive(desired, l, "webapp-operator")).toBe(false);
  });
});

describe("ownedFieldPaths", () => {
  it("stops at lists and map keys", () => {
    expect(
      ownedFieldPaths({
        "f:metadata": { "f:labels": { ".": {}, "f:a": {} } },
        "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"app"}': {} } } } },
      }),
    ).toEqual([
      ["metadata", "labels", "a"],
      ["spec", "template", "spec", "containers"],
    ]);
  });
});

describe("parseQuantity", () => {
  it("reads decimal and binary suffixes", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("1Gi")).toBe(parseQuantity("1024Mi"));
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity("abc")).toBeUndefined();
  });
});
