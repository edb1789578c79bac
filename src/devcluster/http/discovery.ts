/** Discovery documents: /version, /api, /apis, /apis/{group} and the resource list of each group/version. */
import type { ResourceRegistry } from "../storage/registry.js";
import type { ResourceType } from "../storage/resource-type.js";
import type { JsonObject } from "../types.js";

/** `/version` as kube-apiserver answers it, for `version` "1.MINOR" (default 1.35). */
export function versionInfo(version = "1.35"): JsonObject {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`kubernetesVersion ${JSON.stringify(version)} is not MAJOR.MINOR`);
  const [, major, minor] = m as unknown as [string, string, string];
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    minCompatibilityMajor: major,
    minCompatibilityMinor: String(Math.max(0, Number(minor) - 1)),
    gitVersion: `v${major}.${minor}.0-devcluster`,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-12-17T00:00:00Z",
    goVersion: "go1.25.5",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupEntry(group: string, versions: string[]): JsonObject {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups: JsonObject[] = [];
  for (const [g, versions] of registry.groups()) if (g !== "") groups.push(groupEntry(g, versions));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiGroup(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const versions = registry.groups().get(group);
  if (!versions || group === "") return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group, versions) };
}

function resourceEntries(rt: ResourceType): JsonObject[] {
  const main: JsonObject = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: rt.verbs,
  };
  if (rt.shortNames.length) main.shortNames = rt.shortNames;
  if (rt.categories.length) main.categories = rt.categories;
  const out = [main];
  const sub = (name: string, kind: string, verbs: string[], group?: string, version?: string): JsonObject => {
    const e: JsonObject = {
      name: `${rt.plural}/${name}`,
      singularName: "",
      namespaced: rt.namespaced,
      kind,
      verbs,
    };
    if (group !== undefined) e.group = group;
    if (version !== undefined) e.version = version;
    return e;
  };
  if (rt.subresources.status) out.push(sub("status", rt.kind, ["get", "patch", "update"]));
  if (rt.subresources.scale) out.push(sub("scale", "Scale", ["get", "patch", "update"], "autoscaling", "v1"));
  if (rt.kind === "Namespace" && rt.group === "") out.push(sub("finalize", "Namespace", ["update"]));
  return out;
}

export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): JsonObject | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap(resourceEntries),
  };
}
