// What the operator leaves in a namespace, in a form two runs on two clusters can be compared in:
// each child's kind, name, spec (data for a ConfigMap), labels and owner references, and each
// WebApp's status without timestamps. Used by hack/bench-chaos.ts to hold a run under faults and
// kill -9 restarts against a fault-free one.
import { isDeepStrictEqual } from "node:util";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { isNotFound } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { ALL_CHILD_KINDS, CONFIG_HASH_ANNOTATION, configHash } from "../../src/render/index.js";
import type { Env } from "./operator-env.js";

export interface ClusterState {
  /** WebApp name → its status, timestamps left out. */
  webapps: Map<string, unknown>;
  /** `Kind/name` → what the operator controls of it. */
  children: Map<string, unknown>;
  /** Children whose controller is no WebApp of the namespace (or that have none). */
  orphans: string[];
}

export interface StateDiff {
  /** In both, but not alike: `Kind/name: first differing path`. */
  differences: string[];
  /** In the reference only. */
  missing: string[];
  /** In the compared state only. */
  extra: string[];
}

const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;

/**
 * The namespace's WebApps and children. Cluster IPs depend on the order Services were created in, so
 * each is replaced by the name of its Service (in nginx.conf too), and the web tier's config hash,
 * once checked against its own ConfigMap, by the name of that ConfigMap.
 */
export async function snapshotState(env: Env, namespace: string): Promise<ClusterState> {
  const webappList = (await env.client.list(WEBAPP_TYPE, namespace)).items;
  const owners = new Map(webappList.map((w) => [w.metadata.uid, w.metadata.name]));
  const objects: KubeObject[] = [];
  for (const kind of ALL_CHILD_KINDS) {
    try {
      objects.push(...(await env.client.list(kind, namespace)).items.map((o) => ({ ...o, kind: kind.kind })));
    } catch (err) {
      if (!isNotFound(err)) throw err; // a kind this cluster does not serve
    }
  }
  const ipNames = new Map<string, string>();
  for (const svc of objects.filter((o) => o.kind === "Service")) {
    const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (ip && ip !== "None") ipNames.set(ip, `<cluster IP of Service ${svc.metadata.name}>`);
  }
  const byKey = new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  const children = new Map<string, unknown>();
  const orphans: string[] = [];
  for (const obj of objects) {
    const key = `${obj.kind}/${obj.metadata.name}`;
    const controller = obj.metadata.ownerReferences?.find((r) => r.controller);
    if (
      !controller ||
      controller.kind !== WEBAPP_TYPE.kind ||
      owners.get(controller.uid) !== controller.name
    ) {
      orphans.push(key);
    }
    const compared = {
      ...(obj.kind === "ConfigMap" ? { data: obj.data } : { spec: obj.spec }),
      labels: obj.metadata.labels ?? {},
      // The uid differs between clusters; that it is the owner's was checked above.
      ownerReferences: (obj.metadata.ownerReferences ?? []).map(({ uid: _uid, ...rest }) => rest),
    };
    const text = JSON.stringify(compared).replace(IPV4, (ip) => ipNames.get(ip) ?? ip);
    children.set(key, withConfigHashNamed(JSON.parse(text), byKey));
  }
  const webapps = new Map<string, unknown>();
  for (const w of webappList) {
    const status = structuredClone((w.status ?? {}) as { conditions?: { lastTransitionTime?: string }[] });
    for (const c of status.conditions ?? []) delete c.lastTransitionTime;
    webapps.set(
      w.metadata.name,
      JSON.parse(JSON.stringify(status).replace(IPV4, (ip) => ipNames.get(ip) ?? ip)),
    );
  }
  return { webapps, children, orphans };
}

/** A pod template's config hash, replaced by the ConfigMap it hashes (or a mark that it does not match). */
function withConfigHashNamed(compared: { spec?: unknown }, byKey: Map<string, KubeObject>): unknown {
  const template = (compared.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })
    ?.template;
  const annotations = template?.metadata?.annotations;
  const hash = annotations?.[CONFIG_HASH_ANNOTATION];
  if (!annotations || hash === undefined) return compared;
  const volumes =
    (template as { spec?: { volumes?: { configMap?: { name: string } }[] } }).spec?.volumes ?? [];
  const source = volumes.find((v) => v.configMap)?.configMap?.name;
  const conf = source
    ? (byKey.get(`ConfigMap/${source}`)?.data as Record<string, string> | undefined)
    : undefined;
  annotations[CONFIG_HASH_ANNOTATION] =
    conf?.["nginx.conf"] !== undefined && configHash(conf["nginx.conf"]) === hash
      ? `<sha256 of ConfigMap ${source} nginx.conf>`
      : `<does not match ConfigMap ${source ?? "(none)"}: ${hash}>`;
  return compared;
}

/** How `got` differs from `reference`: WebApps and children alike. */
export function diffStates(reference: ClusterState, got: ClusterState): StateDiff {
  const out: StateDiff = { differences: [], missing: [], extra: [] };
  for (const [prefix, ref, other] of [
    ["WebApp status ", reference.webapps, got.webapps],
    ["", reference.children, got.children],
  ] as const) {
    for (const [key, value] of ref) {
      if (!other.has(key)) out.missing.push(`${prefix}${key}`);
      else if (!isDeepStrictEqual(value, other.get(key)))
        out.differences.push(`${prefix}${key}: ${firstDifference(value, other.get(key))}`);
    }
    for (const key of other.keys()) if (!ref.has(key)) out.extra.push(`${prefix}${key}`);
  }
  return out;
}

/** The path of the first place where two JSON values differ, with both values (shortened). */
function firstDifference(a: unknown, b: unknown, path = ""): string {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, `${path}.${k}`);
    }
  }
  const show = (v: unknown) => JSON.stringify(v)?.slice(0, 80) ?? "undefined";
  return `${path || "."}: ${show(a)} vs ${show(b)}`;
}
