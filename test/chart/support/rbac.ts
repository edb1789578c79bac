import { GROUP, PLURAL } from "../../../src/api/index.js";
import { Kinds } from "../../../src/kube/resources.js";
import { ALL_CHILD_KINDS } from "../../../src/render/index.js";

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

/** One `group|resource|verb|names` key per permission a rule grants: compares rules however they are grouped. */
export function ruleKeys(rules: PolicyRule[]): string[] {
  const keys = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs ?? []) keys.add(`${g}|${res}|${v}|${(r.resourceNames ?? []).join(",")}`);
  }
  return [...keys].sort();
}

/**
 * What `webapp-operator run` does with the API (src/controller, src/kube): list+watch WebApps and, by
 * label, every child kind (informers); patch the status subresource; server-side apply (PATCH, which
 * also creates; a namesake someone else owns is refused by the API server, so no GET) and delete
 * children; list+watch the tiers' pods (by the same label); create Events and patch their counts.
 * WebApps are read from the cache only.
 */
export function expectedOperatorRules(): PolicyRule[] {
  return [
    { apiGroups: [GROUP], resources: [PLURAL], verbs: ["list", "watch"] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ["patch"] },
    {
      apiGroups: [groupOf(Kinds.Event.apiVersion)],
      resources: [Kinds.Event.plural],
      verbs: ["create", "patch"],
    },
    { apiGroups: [groupOf(Kinds.Pod.apiVersion)], resources: [Kinds.Pod.plural], verbs: ["list", "watch"] },
    ...ALL_CHILD_KINDS.map((k) => ({
      apiGroups: [groupOf(k.apiVersion)],
      resources: [k.plural],
      verbs: ["delete", "list", "patch", "watch"],
    })),
  ];
}
