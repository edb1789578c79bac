/**
 * A container's environment as the kubelet builds it: envFrom sources in order (with their prefix), then
 * env entries (literal values with `$(VAR)` expansion over what is defined so far, and valueFrom Secret
 * and ConfigMap keys, pod fields and resource fields). A Secret, ConfigMap or key that is missing and not
 * optional stops the container in CreateContainerConfigError with the kubelet's message.
 */
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { fieldRefValue } from "./pod-fields.js";
import { quantity } from "./quantity.js";
import { expandVariables } from "./translate/index.js";

export class ContainerConfigError extends Error {}

export interface EnvSources {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  /** The node's allocatable resources, for resourceFieldRef limits a container does not set. */
  nodeAllocatable: { cpu: string; memory: string };
}

const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});
const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function keyOf(source: KubeObject, key: string, secret: boolean): string | undefined {
  const data = obj(source.data);
  if (key in data)
    return secret ? Buffer.from(String(data[key]), "base64").toString("utf8") : String(data[key]);
  const binary = obj(source.binaryData);
  if (key in binary) return Buffer.from(String(binary[key]), "base64").toString("utf8");
  return undefined;
}

function allKeys(source: KubeObject, secret: boolean): [string, string][] {
  const keys = [...Object.keys(obj(source.data)), ...Object.keys(obj(source.binaryData))];
  return keys.map((k) => [k, keyOf(source, k, secret) ?? ""]);
}

function resourceField(container: JsonObject, ref: JsonObject, node: EnvSources["nodeAllocatable"]): string {
  const resource = String(ref.resource ?? "");
  const [kind, name] = resource.split(".") as [string, string];
  const resources = obj(container.resources);
  const set = obj(kind === "requests" ? resources.requests : resources.limits);
  const fallback = kind === "limits" ? (name === "cpu" ? node.cpu : node.memory) : "0";
  const value = quantity(String(set[name] ?? fallback));
  const divisor = quantity(String(ref.divisor ?? "1")) || 1;
  // The kubelet rounds up: a 500m limit is 1 cpu with the default divisor.
  return String(Math.ceil(value / divisor));
}

export function resolveContainerEnv(
  pod: KubeObject,
  container: JsonObject,
  sources: EnvSources,
): Record<string, string> {
  const ns = pod.metadata.namespace ?? "default";
  const env: Record<string, string> = {};
  for (const from of list(container.envFrom)) {
    const prefix = typeof from.prefix === "string" ? from.prefix : "";
    const cmRef = isObject(from.configMapRef) ? from.configMapRef : undefined;
    const secretRef = isObject(from.secretRef) ? from.secretRef : undefined;
    const ref = cmRef ?? secretRef;
    if (!ref) continue;
    const secret = ref === secretRef;
    const name = String(ref.name ?? "");
    const source = secret ? sources.secret(ns, name) : sources.configMap(ns, name);
    if (!source) {
      if (ref.optional === true) continue;
      throw new ContainerConfigError(`${secret ? "secret" : "configmap"} "${name}" not found`);
    }
    for (const [k, v] of allKeys(source, secret)) if (ENV_NAME.test(prefix + k)) env[prefix + k] = v;
  }
  const lookup = (name: string) => env[name];
  for (const e of list(container.env)) {
    const name = String(e.name);
    if (typeof e.value === "string" || e.valueFrom === undefined) {
      env[name] = expandVariables(typeof e.value === "string" ? e.value : "", lookup);
      continue;
    }
    const from = obj(e.valueFrom);
    const keyRef = isObject(from.secretKeyRef)
      ? from.secretKeyRef
      : isObject(from.configMapKeyRef)
        ? from.configMapKeyRef
        : undefined;
    if (keyRef) {
      const secret = keyRef === from.secretKeyRef;
      const sourceName = String(keyRef.name ?? "");
      const key = String(keyRef.key ?? "");
      const source = secret ? sources.secret(ns, sourceName) : sources.configMap(ns, sourceName);
      if (!source) {
        if (keyRef.optional === true) continue;
        throw new ContainerConfigError(`${secret ? "secret" : "configmap"} "${sourceName}" not found`);
      }
      const value = keyOf(source, key, secret);
      if (value === undefined) {
        if (keyRef.optional === true) continue;
        throw new ContainerConfigError(
          `couldn't find key ${key} in ${secret ? "Secret" : "ConfigMap"} ${ns}/${sourceName}`,
        );
      }
      env[name] = value;
    } else if (isObject(from.fieldRef)) {
      const path = String(from.fieldRef.fieldPath ?? "");
      const value = fieldRefValue(pod, path);
      if (value === undefined) throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
      env[name] = value;
    } else if (isObject(from.resourceFieldRef)) {
      env[name] = resourceField(container, from.resourceFieldRef, sources.nodeAllocatable);
    }
  }
  return env;
}
