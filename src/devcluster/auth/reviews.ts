/**
 * Access reviews answered from RBAC, for `kubectl auth can-i` (SelfSubjectAccessReview, and
 * SelfSubjectRulesReview for --list), SubjectAccessReview, and `kubectl auth whoami` (SelfSubjectReview).
 */
import { badRequest } from "../errors.js";
import { groupVersion, type ResourceType } from "../storage/resource-type.js";
import { isObject, type JsonObject, type UserInfo } from "../types.js";
import type { AuthorizationAttributes, RbacAuthorizer } from "./rbac.js";

function attributesFrom(spec: JsonObject, user: UserInfo): AuthorizationAttributes {
  if (isObject(spec.resourceAttributes)) {
    const r = spec.resourceAttributes;
    const a: AuthorizationAttributes = {
      user,
      verb: String(r.verb ?? ""),
      resourceRequest: true,
      apiGroup: String(r.group ?? ""),
      resource: String(r.resource ?? ""),
    };
    if (r.subresource) a.subresource = String(r.subresource);
    if (r.name) a.name = String(r.name);
    if (r.namespace) a.namespace = String(r.namespace);
    return a;
  }
  if (isObject(spec.nonResourceAttributes)) {
    const n = spec.nonResourceAttributes;
    return { user, verb: String(n.verb ?? ""), resourceRequest: false, path: String(n.path ?? "") };
  }
  throw badRequest(
    "spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
  );
}

export function answerReview(
  rt: ResourceType,
  body: unknown,
  user: UserInfo,
  authorizer: RbacAuthorizer,
): JsonObject {
  const obj = isObject(body) ? body : {};
  const spec = isObject(obj.spec) ? obj.spec : {};
  const base = {
    kind: rt.kind,
    apiVersion: groupVersion(rt),
    metadata: { creationTimestamp: null, ...(isObject(obj.metadata) ? obj.metadata : {}) },
  };
  switch (rt.kind) {
    case "SelfSubjectReview":
      return { ...base, status: { userInfo: { username: user.name, groups: user.groups } } };
    case "SelfSubjectRulesReview": {
      const rules = authorizer.rulesFor(
        user,
        typeof spec.namespace === "string" ? spec.namespace : undefined,
      );
      const masters = user.groups.includes("system:masters");
      const resourceRules = masters
        ? [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]
        : rules.filter((r) => !r.nonResourceURLs).map((r) => ({ resourceNames: r.resourceNames, ...r }));
      const nonResourceRules = masters
        ? [{ verbs: ["*"], nonResourceURLs: ["*"] }]
        : rules
            .filter((r) => r.nonResourceURLs)
            .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
      return { ...base, spec, status: { resourceRules, nonResourceRules, incomplete: false } };
    }
    case "SubjectAccessReview": {
      const subject: UserInfo = {
        name: String(spec.user ?? ""),
        groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [],
      };
      const d = authorizer.authorize(attributesFrom(spec, subject));
      return { ...base, spec, status: d.allowed ? { allowed: true, reason: d.reason } : { allowed: false } };
    }
    default: {
      const d = authorizer.authorize(attributesFrom(spec, user));
      return { ...base, spec, status: d.allowed ? { allowed: true, reason: d.reason } : { allowed: false } };
    }
  }
}
