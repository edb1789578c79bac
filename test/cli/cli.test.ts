import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { parseYamlStream } from "../../src/util/yaml.js";
import { ROOT } from "../fixtures/webapps.js";

/** Runs the CLI in-process and captures its output. */
async function cli(args: string[], stdin = "") {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => {
    out += c;
  });
  stderr.on("data", (c) => {
    err += c;
  });
  const code = await main(args, { stdout, stderr, stdin: Readable.from([stdin]) });
  return { code, stdout: out, stderr: err };
}

const example = (f: string) => join(ROOT, "examples", f);

describe("webapp-operator render", () => {
  it("prints the children of an example as multi-document YAML", async () => {
    const r = await cli(["render", "-f", example("flask-app.yaml")]);
    expect(r.code).toBe(0);
    const docs = parseYamlStream(r.stdout) as {
      kind: string;
      metadata: { name: string; namespace: string };
    }[];
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toContain("Deployment/flask-demo-app");
    expect(docs.every((d) => d.metadata.namespace === "default")).toBe(true);
    expect(r.stdout.startsWith("---\n")).toBe(true);
  });

  it("reads standard input with -f - and honours -n", async () => {
    const r = await cli(["render", "-f", "-", "-n", "shop"], readFileSync(example("app-only.yaml"), "utf8"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("namespace: shop");
    expect(r.stderr).toContain("warning: WebApp api-prototype: spec.app.replicas:");
  });

  it("refuses an invalid namespace, from the file or from -n, naming it, without a stack trace", async () => {
    const doc = (namespace: string) =>
      `apiVersion: webapp-operator.dev/v1alpha1\nkind: WebApp\nmetadata: {name: shop, namespace: "${namespace}"}\nspec: {app: {image: a/b:1, module: "m:app"}}\n`;
    const inFile = await cli(["render", "-f", "-"], doc("a;b"));
    expect(inFile.code).toBe(1);
    expect(inFile.stderr).toContain("metadata.namespace: must be a lowercase RFC 1123 label");
    const onCommandLine = await cli(["render", "-f", example("app-only.yaml"), "-n", "a;b"]);
    expect(onCommandLine.code).toBe(1);
    expect(onCommandLine.stderr).toContain('"a;b" is not a valid namespace name');
    for (const r of [inFile, onCommandLine]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("bad input: every error with its field path, exit 1, no stack trace", async () => {
    const bad = [
      "apiVersion: webapp-operator.dev/v1alpha1",
      "kind: WebApp",
      "metadata: {name: shop}",
      "spec:",
      "  app: {image: 'shop:1', module: 'x:y', workers: -1}",
      "  web: {clientMaxBodySize: '10m; return 200'}",
    ].join("\n");
    const r = await cli(["render", "-f", "-"], bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("spec.app.workers:");
    expect(r.stderr).toContain("spec.web.clientMaxBodySize: must be a size in NGINX syntax");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("bad YAML, a missing file and a missing -f are usage errors", async () => {
    expect((await cli(["render", "-f", "-"], "a: [1, 2")).stderr).toMatch(/^error: - is not valid YAML/);
    const missing = await cli(["render", "-f", "/nonexistent.yaml"]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: "error: cannot read /nonexistent.yaml: no such file\n",
    });
    expect((await cli(["render"])).stderr).toContain("render needs -f FILE");
    expect((await cli(["render", "--bogus"])).stderr).toMatch(
      /^error: unknown flag --bogus \(see webapp-operator render --help\)/,
    );
  });

  it("skips documents of other kinds with a note", async () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n${readFileSync(example("static-site.yaml"), "utf8")}`;
    const r = await cli(["render", "-f", "-"], text);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "document 1 is not a webapp-operator.dev/v1alpha1 WebApp (kind ConfigMap); skipped",
    );
  });
});

describe("render's inputs and outputs", () => {
  it("takes several -f, a directory, and kind: List, in order", async () => {
    const list = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "webapp-operator.dev/v1alpha1",
          kind: "WebApp",
          metadata: { name: "from-list" },
          spec: { app: { image: "registry.example.com/x:1", module: "app:app", replicas: 2 } },
        },
      ],
    });
    const r = await cli(["render", "-f", join(ROOT, "examples"), "-f", "-"], list);
    expect(r.code, r.stderr).toBe(0);
    const names = (parseYamlStream(r.stdout) as { kind: string; metadata: { name: string } }[])
      .filter((o) => o.kind === "Deployment")
      .map((o) => o.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "api-prototype-app",
        "django-shop-app",
        "docs-site-web",
        "flask-demo-app",
        "from-list-app",
      ]),
    );
    expect(names.at(-1)).toBe("from-list-app");
  });

  it("-o json prints one v1 List", async () => {
    const r = await cli(["render", "-f", example("flask-app.yaml"), "-o", "json"]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: { kind: string }[] };
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List" });
    expect(list.items.map((o) => o.kind)).toContain("Deployment");
    expect((await cli(["render", "-f", example("flask-app.yaml"), "-o", "xml"])).stderr).toContain(
      '--output must be one of yaml, json, not "xml"',
    );
  });

  it("names the field when the apiVersion is wrong or the name is missing; validates -n", async () => {
    const wrongVersion = await cli(
      ["render", "-f", "-"],
      "apiVersion: webapp-operator.dev/v1\nkind: WebApp\nmetadata: {name: shop}\nspec: {web: {}}\n",
    );
    expect(wrongVersion.code).toBe(1);
    expect(wrongVersion.stderr).toContain(
      'apiVersion: must be webapp-operator.dev/v1alpha1 for kind WebApp, not "webapp-operator.dev/v1"',
    );
    const noName = await cli(
      ["render", "-f", "-"],
      "apiVersion: webapp-operator.dev/v1alpha1\nkind: WebApp\nspec: {web: {}}\n",
    );
    expect(noName.code).toBe(1);
    expect(noName.stderr).toContain("metadata.name: Required value (a WebApp needs a name)");
    const badNamespace = await cli(["render", "-f", example("flask-app.yaml"), "-n", "a;b"]);
    expect(badNamespace.code).toBe(1);
    expect(badNamespace.stderr).toContain('--namespace: "a;b" is not a valid namespace name');
    const badInFile = await cli(
      ["render", "-f", "-"],
      "apiVersion: webapp-operator.dev/v1alpha1\nkind: WebApp\nmetadata: {name: shop, namespace: 'a;b'}\nspec: {app: {image: 'x:1', module: 'app:app'}}\n",
    );
    expect(badInFile.code).toBe(1);
    expect(badInFile.stderr).toContain("metadata.namespace: must be a lowercase RFC 1123 label");
    expect(badInFile.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("version", () => {
  it("`version` and `--version` print the package's version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const args of [["version"], ["--version"]]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`^webapp-operator ${pkg.version.replace(/\./g, "\\.")} \\(node v\\d+`),
      );
    }
  });
});

describe("demo's flags", () => {
  it("are checked as run's are, with the flag named and no stack trace", async () => {
    const level = await cli(["demo", "--log-level", "bogus"]);
    expect(level.code).toBe(1);
    expect(level.stderr).toContain(
      '--log-level must be one of trace, debug, info, warn, error, fatal, silent, not "bogus"',
    );
    const port = await cli(["demo", "--port", "abc"]);
    expect(port.code).toBe(1);
    expect(port.stderr).toContain('--port must be a whole number from 0 to 65535, not "abc"');
    expect(port.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("help and the crd command", () => {
  it("lists the commands and has --help for each", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const name of ["render", "crd"]) {
      expect(top.stdout).toContain(`  ${name}`);
      const help = await cli([name, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: webapp-operator /);
    }
    expect((await cli(["nope"])).stderr).toContain('unknown command "nope"');
  });

  it("crd prints the generated CRD", async () => {
    const r = await cli(["crd"]);
    expect(r.code).toBe(0);
    const fromFile = parseYamlStream(
      readFileSync(join(ROOT, "crds/webapp-operator.dev_webapps.yaml"), "utf8"),
    );
    expect(parseYamlStream(r.stdout)).toEqual(fromFile);
  });
});

describe("the installed bin", () => {
  // `npm test` builds dist/ before vitest runs; the bin is what `npx webapp-operator` runs after `npm ci`.
  it("runs the compiled CLI", () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "bin/webapp-operator.js"), "render", "-f", example("django-app.yaml")],
      {
        encoding: "utf8",
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("kind: HorizontalPodAutoscaler");
  });
});

describe("the README", () => {
  it("its WebApp example is valid and renders", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("kind: WebApp");
    const r = await cli(["render", "-f", "-"], example);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kind: HorizontalPodAutoscaler");
  });
});
