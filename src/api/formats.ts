import { z } from "zod";

/*
 * String formats shared by the spec. Each is a bounded string with a `pattern` that reaches the CRD,
 * so the API server and the CLI refuse the same values. Several of these end up in nginx.conf or a
 * container command line: the patterns leave out every character that means something there
 * (whitespace, `;`, `{`, `}`, `#`, quotes, `$`, backslash).
 */

function patterned(pattern: RegExp, max: number, rule: string, description: string) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(pattern, { message: `must be ${rule}` })
    .describe(description);
}

/** RFC 1123 label (names of Secrets, ServiceAccounts, claims...). */
export const dnsLabel = (description: string) =>
  patterned(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    63,
    "a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit)",
    description,
  );

/** RFC 1123 subdomain (most object names). */
export const dnsSubdomain = (description: string) =>
  patterned(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    253,
    "a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.')",
    description,
  );

/**
 * A DNS host name for an Ingress rule or a route; a leading `*.` wildcard is allowed as Kubernetes
 * does. The last label starts with a letter (as every top-level domain does), which keeps out IP
 * addresses: the Ingress and Gateway APIs refuse them as host names.
 */
export const hostName = (description: string) =>
  patterned(
    /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.[a-z]([-a-z0-9]*[a-z0-9])?$/,
    253,
    "a lowercase DNS name with at least one dot and a last label that starts with a letter (not an IP address), such as shop.example.com",
    description,
  );

/** A container image reference: [registry[:port]/]path[:tag][@sha256:digest]. */
export const imageRef = (description: string) =>
  patterned(
    /^[a-zA-Z0-9][a-zA-Z0-9._-]*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    512,
    "an image reference such as registry.example.com/shop:1.4.2",
    description,
  );

/**
 * A URL path prefix served by NGINX, such as `/static/`. It starts and ends with `/` (so an NGINX
 * `alias` can never reach outside its directory) and has only unreserved URL characters. No segment
 * may start with a dot, which refuses `.` and `..`; patterns are RE2 (the API server's), so no lookahead.
 */
export const urlPathPrefix = (description: string) =>
  patterned(
    /^\/([A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)*$/,
    128,
    "a URL path that starts and ends with '/', made of letters, digits and '-', '_', '.', '~', each segment starting with a letter, digit, '-', '_' or '~' (so no '.' or '..' segment; e.g. /static/)",
    description,
  );

/** A URL path for an HTTP probe, such as `/healthz` or `/health/ready?full=1`. */
export const httpPath = (description: string) =>
  patterned(
    /^\/[A-Za-z0-9._~!&'()*+,=:@%/?-]*$/,
    256,
    "a URL path starting with '/' with no spaces (e.g. /healthz)",
    description,
  );

/** An absolute file path inside a container image, with no `.` or `..` segment. */
export const absolutePath = (description: string) =>
  patterned(
    /^(\/[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*)+\/?$/,
    256,
    "an absolute path made of letters, digits and '.', '_', '-', '@', '+', each segment starting with a letter, digit, '_', '@', '+' or '-' (so no '.' or '..' segment; e.g. /app/staticfiles)",
    description,
  );

/** NGINX size syntax: a number of bytes, or kilobytes/megabytes/gigabytes with a k/m/g suffix. */
export const nginxSize = (description: string) =>
  patterned(
    /^(0|[1-9][0-9]{0,8})[kKmMgG]?$/,
    10,
    "a size in NGINX syntax: digits with an optional k, m or g suffix (e.g. 10m); 0 means no limit",
    description,
  );

/** A Kubernetes resource quantity such as `500m`, `1`, `256Mi` or `5Gi`. */
export const QUANTITY_PATTERN =
  /^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
export const quantity = (description: string) =>
  z
    .union([
      z.string().max(64).regex(QUANTITY_PATTERN, {
        message: "must be a Kubernetes quantity such as 500m, 2, 256Mi or 5Gi",
      }),
      z.number().int().min(0).max(1_000_000_000),
    ])
    .meta({ "x-kubernetes-int-or-string": true })
    .describe(description);

/*
 * IP addresses and CIDRs as one RE2-compatible pattern, so the API server and zod check exactly the
 * same thing (a refinement in code would never reach the CRD). IPv4 octets 0-255 without leading
 * zeros (Go reads them as decimal, other parsers as octal) and prefixes 0-32; IPv6 in every
 * compressed form of RFC 4291, with an embedded IPv4 address, and prefixes 0-128; no zone.
 */
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = `${OCTET}(\\.${OCTET}){3}`;
const H16 = "[0-9a-fA-F]{1,4}";
const LS32 = `(${H16}:${H16}|${IPV4})`;
const IPV6 = [
  `(${H16}:){6}${LS32}`,
  `::(${H16}:){5}${LS32}`,
  `(${H16})?::(${H16}:){4}${LS32}`,
  `((${H16}:){0,1}${H16})?::(${H16}:){3}${LS32}`,
  `((${H16}:){0,2}${H16})?::(${H16}:){2}${LS32}`,
  `((${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `((${H16}:){0,4}${H16})?::${LS32}`,
  `((${H16}:){0,5}${H16})?::${H16}`,
  `((${H16}:){0,6}${H16})?::`,
]
  .map((form) => `(${form})`)
  .join("|");
/** One IPv4 or IPv6 address, no prefix (a Service's cluster IP). */
export const IP_ADDRESS_PATTERN = new RegExp(`^((${IPV4})|(${IPV6}))$`);
export const CIDR_PATTERN = new RegExp(
  `^((${IPV4})(/(3[0-2]|[12]?[0-9]))?|(${IPV6})(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$`,
);

/** An IPv4 or IPv6 network in CIDR notation, or a single address. */
export const cidr = (description: string) =>
  z
    .string()
    .min(2)
    .max(49)
    .regex(CIDR_PATTERN, {
      message:
        "must be an IPv4 or IPv6 address or CIDR with its prefix in range, such as 10.0.0.0/8 or fd00::/8 (IPv4 without leading zeros, no zone)",
    })
    .describe(description);

/** Environment variable names, as Kubernetes accepts them. */
export const envVarName = (description: string) =>
  patterned(
    /^[-._a-zA-Z][-._a-zA-Z0-9]*$/,
    256,
    "a variable name made of letters, digits, '_', '-' and '.', not starting with a digit",
    description,
  );

/** Converts a CPU quantity (string or number) to cores. */
export function cpuCores(value: string | number): number {
  if (typeof value === "number") return value;
  const m = /^([0-9.]+)(m?)$/.exec(value);
  if (m) return Number(m[1]) / (m[2] === "m" ? 1000 : 1);
  return Number.NaN;
}

/**
 * A list whose items must be unique: `x-kubernetes-list-type: set` makes the API server refuse
 * duplicates, and the zod check gives the CLI and the controller the same rule.
 */
export function setOf<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item)
    .max(max)
    .refine((xs) => new Set(xs).size === xs.length, { message: "must not list the same value twice" })
    .meta({ "x-kubernetes-list-type": "set" });
}
