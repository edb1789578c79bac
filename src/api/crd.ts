import { z } from "zod";
import { CATEGORIES, GROUP, KIND, LIST_KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from "./constants.js";
import { webAppSpec } from "./spec/webapp-spec.js";
import { webAppStatus } from "./status.js";
import { webAppObject } from "./webapp.js";

type JsonSchema = { [key: string]: unknown };

/**
 * Turns zod's JSON Schema output into a Kubernetes structural schema:
 * - every `default` is dropped: schema defaults make GitOps tools (Argo CD) see a perpetual diff,
 *   so defaults are applied in code;
 * - `additionalProperties: false` is dropped (not allowed beside `properties`; the API server prunes
 *   unknown fields instead);
 * - string-or-integer unions become `x-kubernetes-int-or-string`, keeping both branches' bounds;
 * - the safe-integer bounds zod adds to every `.int()` are dropped; real bounds stay.
 */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== "object") return node;
  const src = node as JsonSchema;
  if (src["x-kubernetes-int-or-string"] === true) {
    const out: JsonSchema = { "x-kubernetes-int-or-string": true };
    if (typeof src.description === "string") out.description = src.description;
    const branches = (src.anyOf as JsonSchema[] | undefined) ?? [];
    const stringBranch = branches.find((b) => b.type === "string");
    const integerBranch = branches.find((b) => b.type === "integer");
    out.anyOf = [{ type: "integer" }, { type: "string" }];
    // A structural schema may not type the branches further, so each branch's bounds move to the
    // node, where the API server applies them only to values of their type (as zod does per branch).
    for (const key of ["pattern", "maxLength", "minLength"]) {
      if (stringBranch?.[key] !== undefined) out[key] = stringBranch[key];
    }
    for (const key of ["minimum", "maximum"]) {
      const bound = integerBranch?.[key];
      if (typeof bound === "number" && Math.abs(bound) < Number.MAX_SAFE_INTEGER) out[key] = bound;
    }
    return out;
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === "default" || key === "$schema" || key === "id") continue;
    if (key === "additionalProperties" && value === false) continue;
    if ((key === "minimum" || key === "maximum") && Math.abs(value as number) >= Number.MAX_SAFE_INTEGER)
      continue;
    out[key] = toStructural(value);
  }
  return out;
}

function openApiSchema(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" })) as JsonSchema;
}

/** The WebApp CustomResourceDefinition, generated from the zod schema (the single source of truth). */
export function webAppCrd(): JsonSchema {
  const root = openApiSchema(webAppObject);
  const rootValidations = root["x-kubernetes-validations"];
  const schema: JsonSchema = {
    type: "object",
    description:
      "WebApp runs a Python web app the classic production way: an NGINX web tier that serves static files and proxies to scalable WSGI app servers (Gunicorn or uWSGI).",
    required: ["spec"],
    properties: {
      apiVersion: { type: "string", description: "APIVersion of this representation of the object." },
      kind: { type: "string", description: "Kind of this object: WebApp." },
      metadata: { type: "object" },
      spec: openApiSchema(webAppSpec),
      status: openApiSchema(webAppStatus),
    },
    ...(rootValidations ? { "x-kubernetes-validations": rootValidations } : {}),
  };
  const readyCondition = '.status.conditions[?(@.type=="Ready")]';
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { "app.kubernetes.io/name": "webapp-operator", "app.kubernetes.io/part-of": "webapp-operator" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: LIST_KIND,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
        categories: CATEGORIES,
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.app.replicas",
              statusReplicasPath: ".status.replicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: [
            { name: "Ready", type: "string", jsonPath: `${readyCondition}.status` },
            { name: "Reason", type: "string", jsonPath: `${readyCondition}.reason`, priority: 1 },
            {
              name: "App",
              type: "string",
              jsonPath: ".status.app.ready",
              description: "Ready/desired app pods",
            },
            {
              name: "Web",
              type: "string",
              jsonPath: ".status.web.ready",
              description: "Ready/desired web pods",
            },
            { name: "URL", type: "string", jsonPath: ".status.url" },
            {
              name: "Image",
              type: "string",
              jsonPath: ".spec.app.image",
              description: "Image of the app servers",
              priority: 1,
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
        },
      ],
    },
  };
}
