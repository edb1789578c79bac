/**
 * RBAC authorization from the Roles, ClusterRoles and bindings stored in the server (with ClusterRole
 * aggregation), so the operator can be tested with exactly the permissions its chart grants.
 */
import type { Store } from "../storage/store.js";
import { isObject, type JsonObject, type KubeObject, type UserInfo } from "../types.js";

export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  namespace?: string;
  path?: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

const RBAC = "rbac.authorization.k8s.io";
const KEYS = {
  roles: `${RBAC}/roles`,
  roleBindings: `${RBAC}/rolebindings`,
  clusterRoles: `${RBAC}/clusterroles`,
  clusterRoleBindings: `${RBAC}/clusterrolebindings`,
};

const has = (list: string[] | undefined, v: string) => (list ?? []).includes("*") || (list ?? []).includes(v);

export function ruleAllows(rule: PolicyRule, a: AuthorizationAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    const path = a.path ?? "";
    return (rule.nonResourceURLs ?? []).some(
      (u) => u === "*" || u === path || (u.endsWith("*") && path.startsWith(u.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, a.apiGroup ?? "")) return false;
  const resources = rule.resources ?? [];
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? "");
  const resourceOk =
    resources.includes("*") ||
    resources.includes(combined) ||
    (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectMatches(subject: JsonObject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (subject.kind === "User") return subject.name === user.name;
  if (subject.kind === "Group") return user.groups.includes(String(subject.name));
  if (subject.kind === "ServiceAccount") {
    const ns = (subject.namespace as string | undefined) ?? bindingNamespace;
    return user.name === `system:serviceaccount:${ns}:${subject.name}`;
  }
  return false;
}

function labelsMatch(selector: unknown, labels: Record<string, string>): boolean {
  if (!isObject(selector)) return false;
  const ml = isObject(selector.matchLabels) ? selector.matchLabels : {};
  return Object.entries(ml).every(([k, v]) => labels[k] === v);
}

export class RbacAuthorizer {
  constructor(private readonly store: Store) {}

  private clusterRoleRules(name: string): PolicyRule[] {
    const role = this.store.get(KEYS.clusterRoles, undefined, name);
    if (!role) return [];
    const own = (role.rules as PolicyRule[] | undefined) ?? [];
    const aggregation = isObject(role.aggregationRule) ? role.aggregationRule : undefined;
    if (!aggregation) return own;
    const selectors = Array.isArray(aggregation.clusterRoleSelectors) ? aggregation.clusterRoleSelectors : [];
    const aggregated = this.store
      .list(KEYS.clusterRoles)
      .filter(
        (r) => r.metadata.name !== name && selectors.some((s) => labelsMatch(s, r.metadata.labels ?? {})),
      )
      .flatMap((r) => (r.rules as PolicyRule[] | undefined) ?? []);
    return [...own, ...aggregated];
  }

  private bindingRules(binding: KubeObject): PolicyRule[] {
    const ref = isObject(binding.roleRef) ? binding.roleRef : {};
    if (ref.kind === "ClusterRole") return this.clusterRoleRules(String(ref.name));
    if (ref.kind === "Role" && binding.metadata.namespace) {
      const role = this.store.get(KEYS.roles, binding.metadata.namespace, String(ref.name));
      return (role?.rules as PolicyRule[] | undefined) ?? [];
    }
    return [];
  }

  private bound(binding: KubeObject, user: UserInfo): boolean {
    const subjects = Array.isArray(binding.subjects) ? (binding.subjects as JsonObject[]) : [];
    return subjects.some((s) => subjectMatches(s, user, binding.metadata.namespace));
  }

  /** Every rule that applies to the user in a namespace (cluster-wide rules included). */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const b of this.store.list(KEYS.clusterRoleBindings))
      if (this.bound(b, user)) rules.push(...this.bindingRules(b));
    if (namespace) {
      for (const b of this.store.list(KEYS.roleBindings, namespace))
        if (this.bound(b, user)) rules.push(...this.bindingRules(b));
    }
    return rules;
  }

  authorize(a: AuthorizationAttributes): Decision {
    if (a.user.groups.includes("system:masters"))
      return { allowed: true, reason: "member of system:masters" };
    for (const b of this.store.list(KEYS.clusterRoleBindings)) {
      if (this.bound(b, a.user) && this.bindingRules(b).some((r) => ruleAllows(r, a)))
        return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${b.metadata.name}"` };
    }
    if (a.namespace && a.resourceRequest) {
      for (const b of this.store.list(KEYS.roleBindings, a.namespace)) {
        if (this.bound(b, a.user) && this.bindingRules(b).some((r) => ruleAllows(r, a)))
          return {
            allowed: true,
            reason: `RBAC: allowed by RoleBinding "${b.metadata.name}/${a.namespace}"`,
          };
      }
    }
    return { allowed: false, reason: "" };
  }
}

/** The real server's wording of a denial. */
export function denialMessage(a: AuthorizationAttributes): string {
  const who = `User "${a.user.name}"`;
  if (!a.resourceRequest) return `${who} cannot ${a.verb} path "${a.path}"`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  return `${who} cannot ${a.verb} resource "${res}" in API group "${a.apiGroup ?? ""}" ${where}`;
}

/** The ClusterRoles and bindings every cluster starts with (discovery for everyone, all for system:masters). */
export function bootstrapRbacObjects(): { key: string; obj: KubeObject }[] {
  const meta = (name: string) => ({
    name,
    labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
    annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
  });
  const crole = (name: string, rules: PolicyRule[]) => ({
    key: KEYS.clusterRoles,
    obj: { apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: meta(name), rules } as KubeObject,
  });
  const cbinding = (name: string, role: string, group: string) => ({
    key: KEYS.clusterRoleBindings,
    obj: {
      apiVersion: `${RBAC}/v1`,
      kind: "ClusterRoleBinding",
      metadata: meta(name),
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: role },
      subjects: [{ apiGroup: RBAC, kind: "Group", name: group }],
    } as KubeObject,
  });
  return [
    crole("cluster-admin", [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ]),
    crole("system:discovery", [
      {
        nonResourceURLs: [
          "/api",
          "/api/*",
          "/apis",
          "/apis/*",
          "/healthz",
          "/livez",
          "/openapi",
          "/openapi/*",
          "/readyz",
          "/version",
          "/version/",
        ],
        verbs: ["get"],
      },
    ]),
    crole("system:basic-user", [
      {
        apiGroups: ["authorization.k8s.io"],
        resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        verbs: ["create"],
      },
      { apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"] },
    ]),
    cbinding("cluster-admin", "cluster-admin", "system:masters"),
    cbinding("system:discovery", "system:discovery", "system:authenticated"),
    cbinding("system:basic-user", "system:basic-user", "system:authenticated"),
  ];
}
