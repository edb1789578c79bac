/**
 * Every user string that reaches nginx.conf, fuzzed: thousands of values built from the characters
 * that mean something to NGINX. Each is either refused with the field's path, or accepted and then
 * provably inert: token for token, the rendered config is the one a benign value gives, with the
 * value in exactly the benign value's places. A sample of the accepted ones also goes through a
 * real `nginx -t`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localizeNginxConf, nginxAvailable, nginxTest } from "../../hack/lib/nginx-local.js";
import { parseWebApp } from "../../src/api/index.js";
import { render } from "../../src/render/index.js";
import { nginxConfOf, webappObject } from "../fixtures/webapps.js";

const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };

/**
 * Where a fuzzed value goes, benign values for the same place (values that legitimately change the
 * config's structure, such as static files at `/`, each have their own), and the path errors name.
 */
const FIELDS: { path: string; benign: string[]; spec: (v: string) => Record<string, unknown> }[] = [
  {
    path: "spec.static.urlPath",
    benign: ["/static/", "/"],
    spec: (v) => ({ app, web: {}, static: { urlPath: v, fromImage: { path: "/app/s" } } }),
  },
  {
    path: "spec.media.urlPath",
    benign: ["/media/"],
    spec: (v) => ({ app, web: {}, media: { urlPath: v, size: "1Gi" } }),
  },
  {
    path: "spec.web.clientMaxBodySize",
    benign: ["10m"],
    spec: (v) => ({ app, web: { clientMaxBodySize: v } }),
  },
  {
    path: "spec.web.trustedProxies[0]",
    benign: ["10.0.0.0/8"],
    spec: (v) => ({ app, web: { trustedProxies: [v] } }),
  },
];

const NASTY = [
  ";",
  "{",
  "}",
  "#",
  "$",
  "'",
  '"',
  "\\",
  "\n",
  "\r",
  "\t",
  " ",
  "/",
  ".",
  "..",
  "~",
  "*",
  "^",
  "(",
  ")",
];
const PLAIN = ["a", "z", "0", "9", "-", "_", ":", "m", "k", "g", "/", "10", "255", "::", "%", "=", "?", "@"];

/** A small deterministic generator, so a failure reproduces. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function values(benign: string, count: number, seed: number): string[] {
  const rand = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      // A benign value with one piece inserted: the hardest case for a pattern.
      const at = Math.floor(rand() * (benign.length + 1));
      out.push(benign.slice(0, at) + pick(rand() < 0.7 ? NASTY : PLAIN) + benign.slice(at));
    } else {
      const len = 1 + Math.floor(rand() * 12);
      out.push(Array.from({ length: len }, () => pick(rand() < 0.4 ? NASTY : PLAIN)).join(""));
    }
  }
  return out;
}

/** The config as NGINX tokenizes it (comments dropped), with `value`'s own tokens replaced by a marker. */
function tokens(conf: string, value: string): string {
  const body = conf
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join("\n");
  return (body.match(/[^\s;{}]+|[;{}]/g) ?? []).map((t) => (t === value ? "<VALUE>" : t)).join(" ");
}

const work = mkdtempSync(join(tmpdir(), "webapp-fuzz-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(FIELDS)("fuzzing $path", ({ path, benign, spec }) => {
  const baselines = benign.map((b) => tokens(nginxConfOf(render(parseOk(spec(b))).objects)!, b));
  const cases = values(benign[0]!, 1500, path.length * 7919);
  const accepted: { value: string; conf: string }[] = [];

  it("refuses a value with the field's path, or renders it as one inert argument", () => {
    let refused = 0;
    for (const value of cases) {
      const parsed = parseWebApp(webappObject(spec(value)));
      if (!parsed.ok) {
        refused++;
        expect(
          parsed.errors.some((e) => e.path === path || e.path.startsWith(`${path.split("[")[0]}`)),
          `${JSON.stringify(value)}: ${JSON.stringify(parsed.errors)}`,
        ).toBe(true);
        continue;
      }
      const conf = nginxConfOf(render(parsed.webapp).objects)!;
      expect(baselines, `${JSON.stringify(value)} changed the config's structure`).toContain(
        tokens(conf, value),
      );
      expect(value, "an accepted value has nothing NGINX would split on").toMatch(/^[^\s;{}#'"\\$]+$/);
      accepted.push({ value, conf });
    }
    // Both outcomes must really occur, or the fuzzing proves nothing.
    expect(refused).toBeGreaterThan(100);
    expect(accepted.length).toBeGreaterThan(10);
  });

  it.runIf(nginxAvailable())("and a sample of the accepted values passes a real nginx -t", () => {
    const sample = accepted.filter((_, i) => i % Math.max(1, Math.floor(accepted.length / 15)) === 0);
    expect(sample.length).toBeGreaterThan(0);
    for (const { value, conf } of sample) {
      const dir = mkdtempSync(join(work, "case-"));
      const local = localizeNginxConf(conf, {
        runtimeDir: dir,
        staticRoot: join(dir, "static"),
        mediaRoot: join(dir, "media"),
        upstreamServers: ["127.0.0.1:8000"],
      });
      writeFileSync(join(dir, "nginx.conf"), local);
      const verdict = nginxTest(join(dir, "nginx.conf"), dir);
      expect(verdict.ok, `${JSON.stringify(value)}: ${verdict.output}`).toBe(true);
    }
  });
});

function parseOk(spec: Record<string, unknown>) {
  const parsed = parseWebApp(webappObject(spec));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.webapp;
}
