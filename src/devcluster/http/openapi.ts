/**
 * OpenAPI v3 documents, as much as kubectl needs: the index at /openapi/v3 and one document per
 * group/version whose PATCH operations declare the `fieldValidation` parameter (so kubectl validates on the
 * server instead of downloading schemas), with the component schemas of every kind served there: the
 * upstream definitions for built-in kinds, the CRD's schema for custom resources. `kubectl explain` reads
 * them, and client-side `kubectl apply` computes its strategic merge patches from them.
 */
import { createHash } from "node:crypto";
import { upstreamDefinitions } from "../schemas/upstream/definitions.js";
import { publishedSchemas } from "../schemas/upstream/published-schemas.js";
import type { ResourceRegistry } from "../storage/registry.js";
import type { ResourceType } from "../storage/resource-type.js";
import type { JsonObject } from "../types.js";

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The component schema of a kind: upstream's definition name, or the reversed group for a custom resource. */
function schemaName(rt: ResourceType): string {
  if (!rt.crdName) {
    const upstream = upstreamDefinitions.kindDefinition(rt);
    if (upstream) return upstream;
  }
  return [...rt.group.split(".").reverse(), rt.version, rt.kind].join(".");
}

const param = (name: string, inWhere: "query" | "path" = "query"): JsonObject => ({
  name,
  in: inWhere,
  ...(inWhere === "path" ? { required: true } : {}),
  schema: { type: "string", uniqueItems: true },
});

function operations(rt: ResourceType): Record<string, JsonObject> {
  const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
  const base = `/${gvPath(rt.group, rt.version)}${rt.namespaced ? "/namespaces/{namespace}" : ""}/${rt.plural}`;
  const ref = { $ref: `#/components/schemas/${schemaName(rt)}` };
  const body = { content: { "application/json": { schema: ref } }, required: true };
  const ok = { "200": { description: "OK", content: { "application/json": { schema: ref } } } };
  const op = (action: string, params: string[], extra: JsonObject = {}): JsonObject => ({
    operationId: `${action}${rt.kind}`,
    parameters: params.map((p) => param(p)),
    responses: ok,
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk,
    ...extra,
  });
  const write = ["dryRun", "fieldManager", "fieldValidation", "pretty"];
  const out: Record<string, JsonObject> = {
    [base]: {
      get: op("list", ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch"]),
      post: op("post", write, { requestBody: body }),
    },
    [`${base}/{name}`]: {
      get: op("get", ["pretty"]),
      put: op("put", write, { requestBody: body }),
      patch: op("patch", [...write, "force"], {
        requestBody: {
          content: {
            "application/json-patch+json": { schema: { type: "object" } },
            "application/merge-patch+json": { schema: { type: "object" } },
            "application/apply-patch+yaml": { schema: { type: "object" } },
            ...(rt.strategicMerge
              ? { "application/strategic-merge-patch+json": { schema: { type: "object" } } }
              : {}),
          },
          required: true,
        },
      }),
      delete: op("delete", ["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
      parameters: [param("name", "path"), ...(rt.namespaced ? [param("namespace", "path")] : [])],
    },
  };
  return out;
}

function customResourceSchema(rt: ResourceType): JsonObject {
  const s = rt.schema ?? {};
  const props = (s.properties as JsonObject | undefined) ?? {};
  return {
    ...s,
    type: "object",
    properties: {
      apiVersion: {
        type: "string",
        description:
          "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.",
      },
      kind: {
        type: "string",
        description: "Kind is a string value representing the REST resource this object represents.",
      },
      metadata: {
        allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }],
        description: "Standard object's metadata.",
      },
      ...props,
    },
    "x-kubernetes-group-version-kind": [{ group: rt.group, version: rt.version, kind: rt.kind }],
  };
}

export class OpenApi {
  constructor(private readonly registry: ResourceRegistry) {}

  /** Documents by group/version, rebuilt only when the types served there change (a CRD update). */
  private readonly cache = new Map<string, { types: ResourceType[]; doc: JsonObject; hash: string }>();

  private groupVersionDoc(group: string, version: string): { doc: JsonObject; hash: string } | undefined {
    const types = this.registry.inGroupVersion(group, version);
    if (types.length === 0) return undefined;
    const key = gvPath(group, version);
    const cached = this.cache.get(key);
    if (cached && cached.types.length === types.length && cached.types.every((t, i) => t === types[i]))
      return cached;
    const paths: JsonObject = {};
    const builtins: string[] = [OBJECT_META];
    const custom: JsonObject = {};
    for (const rt of types) {
      Object.assign(paths, operations(rt));
      if (rt.crdName) custom[schemaName(rt)] = customResourceSchema(rt);
      else builtins.push(schemaName(rt));
    }
    const doc = {
      openapi: "3.0.0",
      info: { title: "Kubernetes", version: "v1.35.0" },
      paths,
      components: { schemas: { ...publishedSchemas(builtins), ...custom } },
    };
    const hash = createHash("sha512").update(JSON.stringify(doc)).digest("hex").slice(0, 128).toUpperCase();
    const entry = { types, doc, hash };
    this.cache.set(key, entry);
    return entry;
  }

  private index(): JsonObject {
    const paths: JsonObject = {};
    for (const [group, versions] of this.registry.groups()) {
      for (const version of versions) {
        const hash = this.groupVersionDoc(group, version)?.hash;
        paths[gvPath(group, version)] = {
          serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}`,
        };
      }
    }
    return { paths };
  }

  /** The document for a path under /openapi, or undefined (404). */
  answer(path: string, _accept: string | undefined): unknown {
    if (path === "/openapi/v3") return this.index();
    const m = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) return undefined;
    return (m[1] ? this.groupVersionDoc("", m[1]) : this.groupVersionDoc(m[2]!, m[3]!))?.doc;
  }
}
