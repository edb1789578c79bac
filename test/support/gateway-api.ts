import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fieldErrorMessage } from "../../src/devcluster/errors.js";
import { crdResourceTypes } from "../../src/devcluster/schemas/crd.js";
import type { KubeObject } from "../../src/devcluster/types.js";
import { parseYamlStream } from "../../src/util/yaml.js";

/** The Gateway API's published HTTPRoute CRD (standard channel), kept as a test fixture. */
export const HTTPROUTE_CRD_FILE = join(
  import.meta.dirname,
  "..",
  "fixtures",
  "gateway-api",
  "httproutes.standard.v1.6.1.yaml",
);

export function httpRouteCrd(): KubeObject {
  const [crd] = parseYamlStream(readFileSync(HTTPROUTE_CRD_FILE, "utf8")) as KubeObject[];
  return crd!;
}

let v1: ReturnType<typeof crdResourceTypes>[number] | undefined;

/**
 * Validates an HTTPRoute as an API server serving the published CRD does: the CRD's defaults applied,
 * fields the schema does not declare refused (the server would prune them silently), then the
 * structural schema and every CEL rule. The embedded API server's own CRD code does each step.
 */
export function validateHttpRoute(route: { apiVersion: string; kind: string }): void {
  v1 ??= crdResourceTypes(httpRouteCrd()).find((t) => t.version === "v1");
  if (!v1) throw new Error("the HTTPRoute CRD fixture serves no v1");
  const obj = structuredClone(route) as KubeObject;
  const unknown = v1.dropUnknownFields?.(structuredClone(obj)) ?? [];
  if (unknown.length > 0)
    throw new Error(
      `fields the HTTPRoute schema does not declare: ${unknown.map((p) => p.join(".")).join(", ")}`,
    );
  v1.prepare?.(obj, undefined);
  const errors = v1.validate?.(obj, undefined) ?? [];
  if (errors.length > 0) throw new Error(errors.map((e) => `${e.field}: ${fieldErrorMessage(e)}`).join("; "));
}
