// The CRD (its OpenAPI schema and CEL rules, as the embedded API server enforces them) and the zod
// schema give the same verdict on every value, drawn at each format's boundaries. A value the API
// server admits but zod refuses passes `kubectl apply` and then sits in InvalidSpec; one zod admits
// but the API server refuses cannot be applied at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Env, startEnv } from "../../hack/lib/operator-env.js";
import { parseWebApp } from "../../src/api/index.js";
import { KubeApiError } from "../../src/kube/errors.js";

type Spec = Record<string, unknown>;

const NAMESPACE = "parity";
const app = { image: "registry.example.com/shop:1", module: "shop.wsgi:application" };
const CLEF = "\u{1D11E}"; // one character, two UTF-16 code units, four UTF-8 bytes

/** A WebApp holding `value` at one place of an otherwise valid spec. */
const where = {
  trustedProxy: (v: unknown): Spec => ({ app, web: { trustedProxies: [v] } }),
  cpu: (v: unknown): Spec => ({ app: { ...app, resources: { requests: { cpu: v } } } }),
  memoryLimit: (v: unknown): Spec => ({ app: { ...app, resources: { limits: { memory: v } } } }),
  mediaSize: (v: unknown): Spec => ({ app, media: { size: v } }),
  arg: (v: unknown): Spec => ({ app: { ...app, args: [v] } }),
  envValue: (v: unknown): Spec => ({ app: { ...app, env: [{ name: "A", value: v }] } }),
  workers: (v: unknown): Spec => ({ app: { ...app, workers: v } }),
  servicePort: (v: unknown): Spec => ({ app, service: { port: v } }),
  ingressHost: (v: unknown): Spec => ({ app, ingress: { host: v } }),
  bodySize: (v: unknown): Spec => ({ app, web: { clientMaxBodySize: v } }),
  staticUrl: (v: unknown): Spec => ({
    app,
    web: {},
    static: { urlPath: v, fromImage: { path: "/app/static" } },
  }),
  mountPath: (v: unknown): Spec => ({ app, media: { size: "1Gi", mountPath: v } }),
} as const;

/** [field, value, whether a WebApp holding it is valid]. */
const BOUNDARIES: [keyof typeof where, unknown, boolean][] = [
  // IPv4: octets to 255, prefixes to 32, no leading zeros (Go and Node read those differently).
  ...(
    [
      ["10.0.0.0/8", true],
      ["0.0.0.0/0", true],
      ["255.255.255.255/32", true],
      ["10.1.2.3", true],
      ["10.0.0.0/33", false],
      ["999.1.1.1", false],
      ["256.0.0.0/8", false],
      ["10.0.0", false],
      ["10.0.0.0/", false],
      ["10.0.0.0/-1", false],
      ["010.0.0.1", false],
      ["10.0.0.0/08", false],
      ["10.0.0.0/8/8", false],
      ["1.2.3.4.5", false],
      // IPv6: every compression form, embedded IPv4, prefixes to 128.
      ["::/0", true],
      ["::1", true],
      ["fd00::/8", true],
      ["2001:db8::/128", true],
      ["1:2:3:4:5:6:7:8", true],
      ["::ffff:10.0.0.1", true],
      ["1::8", true],
      ["1:2:3:4:5:6:7::", true],
      ["::/129", false],
      ["1:2:3:4:5:6:7:8:9", false],
      ["1:2:3:4:5:6:7:8::", false],
      ["fd00:::1", false],
      ["1::2::3", false],
      ["12345::", false],
      ["fe80::1%eth0", false],
      ["::ffff:999.0.0.1", false],
    ] as const
  ).map(([v, ok]) => ["trustedProxy", v, ok] as [keyof typeof where, unknown, boolean]),
  // Quantities: strings up to 64 characters, integers from 0 to 10^9, nothing fractional as a number.
  ["cpu", "500m", true],
  ["cpu", "9".repeat(64), true],
  ["cpu", "9".repeat(65), false],
  ["cpu", 0, true],
  ["cpu", 1_000_000_000, true],
  ["cpu", 1_000_000_001, false],
  ["cpu", -1, false],
  ["cpu", 1.5, false],
  ["cpu", "-1", false],
  ["cpu", "", false],
  ["memoryLimit", "256Mi", true],
  ["memoryLimit", "1e3", true],
  ["memoryLimit", "Gi", false],
  ["mediaSize", "5Gi", true],
  ["mediaSize", 2 ** 53, false],
  // Free text: bounded in characters, as the API server counts them, whatever their encoding.
  ["arg", "a".repeat(4096), true],
  ["arg", "a".repeat(4097), false],
  ["arg", CLEF.repeat(4096), true],
  ["arg", CLEF.repeat(4097), false],
  ["arg", "", false],
  ["envValue", CLEF.repeat(32_768), true],
  ["envValue", CLEF.repeat(32_769), false],
  // Integers at their bounds.
  ["workers", 1, true],
  ["workers", 256, true],
  ["workers", 0, false],
  ["workers", 257, false],
  ["workers", 2.5, false],
  ["servicePort", 65_535, true],
  ["servicePort", 65_536, false],
  // Patterned strings at their length bounds and just outside their character sets.
  ["ingressHost", "*.example.com", true],
  ["ingressHost", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`, true],
  ["ingressHost", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`, false],
  ["ingressHost", "Shop.example.com", false],
  ["ingressHost", "example", false],
  ["bodySize", "999999999g", true],
  ["bodySize", "1234567890", false],
  ["bodySize", "10mb", false],
  ["staticUrl", "/assets/v1.2/", true],
  ["staticUrl", "/./", false],
  ["staticUrl", "/a/../", false],
  ["mountPath", "/app/media", true],
  ["mountPath", "/tmp", false],
  ["mountPath", "/app/../etc", false],
];

let env: Env;
beforeAll(async () => {
  env = await startEnv();
  await env.createNamespace(NAMESPACE);
});
afterAll(async () => {
  await env?.stop();
});

/** The API server's verdict on creating the WebApp (dry run: nothing is stored). */
async function apiServerAccepts(spec: Spec): Promise<{ ok: boolean; message: string }> {
  const body = {
    apiVersion: "webapp-operator.dev/v1alpha1",
    kind: "WebApp",
    metadata: { name: "shop", namespace: NAMESPACE },
    spec,
  };
  try {
    await env.client.transport.request(
      "POST",
      `/apis/webapp-operator.dev/v1alpha1/namespaces/${NAMESPACE}/webapps?dryRun=All`,
      { body },
    );
    return { ok: true, message: "" };
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 422) return { ok: false, message: err.message };
    throw err;
  }
}

function zodAccepts(spec: Spec): { ok: boolean; message: string } {
  const parsed = parseWebApp({
    apiVersion: "webapp-operator.dev/v1alpha1",
    kind: "WebApp",
    metadata: { name: "shop", namespace: NAMESPACE },
    spec,
  });
  return parsed.ok ? { ok: true, message: "" } : { ok: false, message: JSON.stringify(parsed.errors) };
}

const label = (v: unknown) => {
  const text = typeof v === "string" ? JSON.stringify(v) : String(v);
  return text.length > 40 ? `${text.slice(0, 20)}... (${[...String(v)].length} characters)` : text;
};

describe("the CRD and zod agree at every format's boundaries", () => {
  it.each(BOUNDARIES.map(([field, value, valid]) => [field, label(value), value, valid] as const))(
    "%s = %s",
    async (field, _label, value, valid) => {
      const spec = where[field](value);
      const api = await apiServerAccepts(spec);
      const zod = zodAccepts(spec);
      expect(api.ok, `API server: ${api.message}`).toBe(valid);
      expect(zod.ok, `zod: ${zod.message}`).toBe(valid);
    },
  );
});
