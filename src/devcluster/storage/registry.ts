/** Which resources are served: the built-in kinds plus those of every established CRD. */
import { builtinResourceTypes } from "../schemas/builtin-resources.js";
import { withUpdateRules } from "../schemas/builtin-update-rules.js";
import { withSharedEventStorage } from "../schemas/event-conversion.js";
import { withUpstreamSchema } from "../schemas/upstream/builtin-kinds.js";
import type { ResourceType } from "./resource-type.js";

/**
 * What every built-in kind gets from its kind alone: upstream field checks, update rules, and the
 * storage it shares with another version (events).
 */
export function withBuiltinBehaviour(rt: ResourceType): ResourceType {
  return withSharedEventStorage(withUpdateRules(withUpstreamSchema(rt)));
}

export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  /** Group order as discovery lists it (built-ins first, then CRD groups in order of installation). */
  private readonly groupOrder: string[] = [];

  constructor() {
    for (const rt of builtinResourceTypes()) this.add(withBuiltinBehaviour(rt));
  }

  private static key(group: string, version: string, plural: string): string {
    return `${group}/${version}/${plural}`;
  }

  add(rt: ResourceType): void {
    this.byPath.set(ResourceRegistry.key(rt.group, rt.version, rt.plural), rt);
    if (!this.groupOrder.includes(rt.group)) this.groupOrder.push(rt.group);
  }

  /** Drops every version served by the named CRD. */
  removeCrd(crdName: string): void {
    for (const [k, rt] of this.byPath) if (rt.crdName === crdName) this.byPath.delete(k);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(ResourceRegistry.key(group, version, plural));
  }

  /** The preferred (first registered) version serving a storage bucket; used by in-process controllers. */
  byStorageKey(storageKey: string): ResourceType | undefined {
    for (const rt of this.byPath.values()) if (rt.storageKey === storageKey) return rt;
    return undefined;
  }

  /** Resolves an apiVersion + kind (e.g. from an ownerReference). */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    for (const rt of this.byPath.values())
      if (rt.group === group && rt.version === version && rt.kind === kind) return rt;
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** group -> versions in preference order. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const g of this.groupOrder) {
      const versions: string[] = [];
      for (const rt of this.byPath.values())
        if (rt.group === g && !versions.includes(rt.version)) versions.push(rt.version);
      if (versions.length) out.set(g, versions);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((rt) => rt.group === group && rt.version === version);
  }

  /** Storage buckets (one per group/resource), each with its preferred served type. */
  storageTypes(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const rt of this.byPath.values()) if (!seen.has(rt.storageKey)) seen.set(rt.storageKey, rt);
    return [...seen.values()];
  }
}
