import { z } from "zod";
import { type CrossFieldRule, withRules } from "../rules.js";

/*
 * Annotations a user puts on the Ingress go to the ingress controller as they are, and ingress
 * controllers write many of them into their proxy configuration. Snippet annotations
 * (`nginx.ingress.kubernetes.io/configuration-snippet`, `nginx.org/server-snippets`, ...) put raw text
 * there by design, and ingress-nginx's worst CVEs (CVE-2021-25742, CVE-2023-5043, and the 2025
 * "IngressNightmare" ones through auth-url, auth-tls-match-cn and mirror-target) came from values
 * that broke out of the directive they were written into. So: keys must be Kubernetes qualified
 * names, values are bounded and hold no control characters, snippet annotations are refused, and the
 * annotations of controllers that template values into an NGINX or HAProxy config may not contain the
 * characters that end a directive, open or close a block, start a comment or a quoted string.
 */

export const MAX_ANNOTATIONS = 32;
export const MAX_ANNOTATION_VALUE = 4096;

/** Prefixes of the controllers that write annotation values into their proxy's config file. */
export const CONFIG_TEMPLATING_PREFIXES = [
  "nginx.ingress.kubernetes.io/",
  "nginx.org/",
  "haproxy.org/",
  "haproxy-ingress.github.io/",
  "ingress.kubernetes.io/",
] as const;

/** Characters refused in those controllers' annotation values (as a regex character class). */
const CONFIG_SYNTAX_CLASS = "[;{}#'\"`\\\\]";
const CONTROL_CLASS = "[\\x00-\\x1f\\x7f]";
const NAME_PART = "[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?";
const PREFIX_PART = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const QUALIFIED_NAME = `^(${PREFIX_PART}/)?${NAME_PART}$`;

/** Keys the operator writes itself from typed fields: set through those fields instead. */
export const OPERATOR_ANNOTATIONS = {
  issuer: "cert-manager.io/issuer",
  clusterIssuer: "cert-manager.io/cluster-issuer",
  proxyBodySize: "nginx.ingress.kubernetes.io/proxy-body-size",
} as const;

/** A CEL string literal (JSON's escapes are CEL's). */
const lit = (s: string) => JSON.stringify(s);

function isQualifiedName(key: string): boolean {
  const slash = key.indexOf("/");
  const [prefix, name] = slash < 0 ? ["", key] : [key.slice(0, slash), key.slice(slash + 1)];
  return new RegExp(QUALIFIED_NAME).test(key) && prefix.length <= 253 && name.length <= 63;
}

const isSnippet = (key: string) => key.endsWith("-snippet") || key.endsWith("-snippets");
const templatesConfig = (key: string) => CONFIG_TEMPLATING_PREFIXES.some((p) => key.startsWith(p));
const entries = (a: Record<string, string>) => Object.entries(a);

const rules: CrossFieldRule<Record<string, string>>[] = [
  {
    cel: `self.all(k, k.matches(${lit(QUALIFIED_NAME)}) && (k.contains('/') ? k.matches('^[^/]{1,253}/[^/]{1,63}$') : k.size() <= 63))`,
    message:
      "annotation keys must be Kubernetes qualified names: an optional DNS subdomain prefix of at most 253 characters and '/', then a name of at most 63 letters, digits, '-', '_' and '.' that starts and ends with a letter or digit",
    holds: (a) => Object.keys(a).every(isQualifiedName),
  },
  {
    cel: "self.all(k, !k.endsWith('-snippet') && !k.endsWith('-snippets'))",
    message:
      "snippet annotations (such as nginx.ingress.kubernetes.io/configuration-snippet) are refused: they put raw text into the ingress controller's proxy configuration",
    holds: (a) => !Object.keys(a).some(isSnippet),
  },
  {
    cel: `self.all(k, !self[k].matches(${lit(CONTROL_CLASS)}))`,
    message: "annotation values must not contain control characters (line breaks, tabs, ...)",
    holds: (a) => !entries(a).some(([, v]) => new RegExp(CONTROL_CLASS).test(v)),
  },
  {
    cel: `self.all(k, !(${CONFIG_TEMPLATING_PREFIXES.map((p) => `k.startsWith(${lit(p)})`).join(" || ")}) || !self[k].matches(${lit(CONFIG_SYNTAX_CLASS)}))`,
    message: `values of annotations that ingress controllers write into their proxy configuration (${CONFIG_TEMPLATING_PREFIXES.map((p) => `${p}*`).join(", ")}) must not contain ; { } # quotes, backticks or backslashes`,
    holds: (a) => !entries(a).some(([k, v]) => templatesConfig(k) && new RegExp(CONFIG_SYNTAX_CLASS).test(v)),
  },
  {
    cel: `!(${lit(OPERATOR_ANNOTATIONS.issuer)} in self) && !(${lit(OPERATOR_ANNOTATIONS.clusterIssuer)} in self)`,
    message: "name cert-manager's issuer in ingress.certManager, not as an annotation",
    holds: (a) => !(OPERATOR_ANNOTATIONS.issuer in a) && !(OPERATOR_ANNOTATIONS.clusterIssuer in a),
  },
];

export const ingressAnnotations = withRules(
  z
    .record(z.string(), z.string().max(MAX_ANNOTATION_VALUE))
    .refine((a) => Object.keys(a).length <= MAX_ANNOTATIONS, {
      message: `must have at most ${MAX_ANNOTATIONS} annotations`,
    })
    .meta({ maxProperties: MAX_ANNOTATIONS }),
  rules,
).describe(
  `Annotations of the Ingress, passed to the ingress controller as they are (its documentation says what each does). At most ${MAX_ANNOTATIONS}, each value at most ${MAX_ANNOTATION_VALUE} characters. Refused: keys that are not qualified names, snippet annotations (*-snippet, *-snippets), control characters in values, the characters ; { } # quotes backticks and backslashes in the values of annotations that controllers write into their proxy configuration (${CONFIG_TEMPLATING_PREFIXES.join(", ")}), and cert-manager's issuer annotations (use certManager).`,
);
