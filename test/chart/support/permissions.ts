/**
 * Single permissions of a Role or ClusterRole (one verb on one resource), a role with one of them
 * taken out, and a log of the API server's authorization decisions for one user.
 */
import type { AuthorizationAttributes, Decision, RbacAuthorizer } from "../../../src/devcluster/auth/rbac.js";
import type { Manifest } from "./helm.js";
import type { PolicyRule } from "./rbac.js";

export interface Permission {
  roleKind: string;
  roleName: string;
  apiGroup: string;
  /** "webapps" or "webapps/status". */
  resource: string;
  verb: string;
  resourceNames: string[];
}

export function permissionLabel(p: Permission): string {
  const group = p.apiGroup === "" ? "core" : p.apiGroup;
  const names = p.resourceNames.length ? ` (${p.resourceNames.join(",")})` : "";
  return `${p.verb} ${p.resource}.${group}${names}`;
}

/** Every (verb, resource) a role grants, one entry each. */
export function permissionsOf(role: Manifest): Permission[] {
  const out: Permission[] = [];
  for (const rule of (role.rules ?? []) as PolicyRule[]) {
    for (const apiGroup of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? [])
        for (const verb of rule.verbs ?? [])
          out.push({
            roleKind: role.kind,
            roleName: role.metadata.name,
            apiGroup,
            resource,
            verb,
            resourceNames: rule.resourceNames ?? [],
          });
  }
  return out;
}

/** The role with exactly one permission removed, every other one kept. */
export function withoutPermission(role: Manifest, p: Permission): Manifest {
  const rules: PolicyRule[] = [];
  for (const rule of (role.rules ?? []) as PolicyRule[]) {
    const holds =
      (rule.apiGroups ?? []).includes(p.apiGroup) &&
      (rule.resources ?? []).includes(p.resource) &&
      (rule.verbs ?? []).includes(p.verb) &&
      (rule.resourceNames ?? []).join(",") === p.resourceNames.join(",");
    if (!holds) {
      rules.push(rule);
      continue;
    }
    const otherResources = (rule.resources ?? []).filter((r) => r !== p.resource);
    if (otherResources.length) rules.push({ ...rule, resources: otherResources });
    const otherVerbs = (rule.verbs ?? []).filter((v) => v !== p.verb);
    if (otherVerbs.length) rules.push({ ...rule, resources: [p.resource], verbs: otherVerbs });
  }
  return { ...structuredClone(role), rules };
}

export interface Decided {
  verb: string;
  apiGroup: string;
  resource: string;
  namespace?: string;
  name?: string;
  allowed: boolean;
}

/** Records every authorization decision the server makes for `user` (the server keeps deciding). */
export class AuthorizationLog {
  readonly decisions: Decided[] = [];

  constructor(authorizer: RbacAuthorizer, user: string) {
    const decide = authorizer.authorize.bind(authorizer);
    authorizer.authorize = (a: AuthorizationAttributes): Decision => {
      const decision = decide(a);
      if (a.user.name === user && a.resourceRequest) {
        this.decisions.push({
          verb: a.verb,
          apiGroup: a.apiGroup ?? "",
          resource: a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? ""),
          ...(a.namespace ? { namespace: a.namespace } : {}),
          ...(a.name ? { name: a.name } : {}),
          allowed: decision.allowed,
        });
      }
      return decision;
    };
  }

  /** Decisions that match a permission (its resourceNames too). */
  matching(p: Permission, allowed: boolean): Decided[] {
    return this.decisions.filter(
      (d) =>
        d.allowed === allowed &&
        d.verb === p.verb &&
        d.apiGroup === p.apiGroup &&
        d.resource === p.resource &&
        (p.resourceNames.length === 0 || (d.name !== undefined && p.resourceNames.includes(d.name))),
    );
  }

  denied(): Decided[] {
    return this.decisions.filter((d) => !d.allowed);
  }

  clear(): void {
    this.decisions.length = 0;
  }
}
