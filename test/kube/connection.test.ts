/**
 * The connection as kubectl finds it (an explicit file, $KUBECONFIG merged, the in-cluster service
 * account), read without @kubernetes/client-node for the common cases, and through it for credential
 * plugins.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConnection } from "../../src/kube/connection.js";

const dir = mkdtempSync(join(tmpdir(), "connection-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ROOT = join(import.meta.dirname, "..", "..");

function kubeconfig(name: string, doc: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const base = (user: object, cluster: object = {}) => ({
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "c", cluster: { server: "https://api.example.test:6443", ...cluster } }],
  users: [{ name: "u", user }],
  contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
  "current-context": "ctx",
});

describe("loadConnection", () => {
  it("a token, a CA from data, and the server", async () => {
    const ca = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const c = await loadConnection({
      kubeconfig: kubeconfig(
        "token.yaml",
        base({ token: "t0k3n" }, { "certificate-authority-data": ca.toString("base64") }),
      ),
    });
    expect(c.server.href).toBe("https://api.example.test:6443/");
    expect(c.tls).toMatchObject({ rejectUnauthorized: true });
    expect(Buffer.from(c.tls.ca as Buffer).equals(ca)).toBe(true);
    expect(await c.authHeaders()).toEqual({ Authorization: "Bearer t0k3n" });
  });

  it("a token file read on every request (it rotates), client certificates from relative files", async () => {
    writeFileSync(join(dir, "token"), "first\n");
    writeFileSync(join(dir, "client.crt"), "CERT");
    writeFileSync(join(dir, "client.key"), "KEY");
    const c = await loadConnection({
      kubeconfig: kubeconfig(
        "files.yaml",
        base(
          { tokenFile: "token", "client-certificate": "client.crt", "client-key": "client.key" },
          {
            "insecure-skip-tls-verify": true,
          },
        ),
      ),
    });
    expect(String(c.tls.cert)).toBe("CERT");
    expect(String(c.tls.key)).toBe("KEY");
    expect(c.tls.rejectUnauthorized).toBe(false);
    expect(await c.authHeaders()).toEqual({ Authorization: "Bearer first" });
    writeFileSync(join(dir, "token"), "second\n");
    expect(await c.authHeaders()).toEqual({ Authorization: "Bearer second" });
  });

  it("--context picks another context; an unknown one is named", async () => {
    const doc = base({ token: "a" });
    doc.contexts.push({ name: "other", context: { cluster: "c", user: "v" } });
    doc.users.push({ name: "v", user: { username: "admin", password: "pw" } } as never);
    const path = kubeconfig("contexts.yaml", doc);
    const other = await loadConnection({ kubeconfig: path, context: "other" });
    expect(await other.authHeaders()).toEqual({
      Authorization: `Basic ${Buffer.from("admin:pw").toString("base64")}`,
    });
    await expect(loadConnection({ kubeconfig: path, context: "nope" })).rejects.toThrow(
      'context "nope" not found',
    );
  });

  it("$KUBECONFIG lists files merged as kubectl merges them", async () => {
    const first = kubeconfig("first.yaml", { ...base({ token: "first" }), "current-context": undefined });
    const second = kubeconfig("second.yaml", { ...base({ token: "second" }), "current-context": "ctx" });
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = `${join(dir, "missing.yaml")}:${first}:${second}`;
    try {
      const c = await loadConnection();
      expect(await c.authHeaders()).toEqual({ Authorization: "Bearer first" });
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it("a missing file is named", async () => {
    await expect(loadConnection({ kubeconfig: join(dir, "nope.yaml") })).rejects.toThrow(
      `cannot load kubeconfig ${join(dir, "nope.yaml")}`,
    );
  });

  it("a credential plugin goes through client-node", async () => {
    const credential = JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token: "from-plugin" },
    });
    const c = await loadConnection({
      kubeconfig: kubeconfig(
        "exec.yaml",
        base({
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "echo",
            args: [credential],
            interactiveMode: "Never",
          },
        }),
      ),
    });
    expect(c.source).toContain("through @kubernetes/client-node");
    expect(await c.authHeaders()).toMatchObject({ Authorization: "Bearer from-plugin" });
  });

  it("the common case never loads @kubernetes/client-node (about 75 MB of generated code)", () => {
    const log = join(dir, "resolved.log");
    const hooks = join(dir, "hooks.mjs");
    writeFileSync(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  appendFileSync(${JSON.stringify(log)}, specifier + "\\n");
  return next(specifier, context);
}`,
    );
    const register = join(dir, "register.mjs");
    writeFileSync(
      register,
      `import { register } from "node:module"; register(${JSON.stringify(`file://${hooks}`)});`,
    );
    const path = kubeconfig("plain.yaml", base({ token: "t" }));
    const script = `const { loadConnection } = await import(${JSON.stringify(join(ROOT, "dist", "kube", "connection.js"))});
const { main } = await import(${JSON.stringify(join(ROOT, "dist", "cli", "main.js"))});
const c = await loadConnection({ kubeconfig: ${JSON.stringify(path)} });
await c.authHeaders();`;
    const r = spawnSync(process.execPath, ["--import", register, "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const resolved = readFileSync(log, "utf8");
    expect(resolved).toContain("connection.js");
    expect(resolved).not.toContain("@kubernetes/client-node");
  });
});
