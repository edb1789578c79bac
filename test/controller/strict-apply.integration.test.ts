/**
 * The operator's own applies are held to the upstream schemas by the API server, as kubectl's are:
 * every child the examples render is accepted as it is, and a field the schema does not declare is
 * refused with its path, never stored or silently dropped, and reported at once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, type Env, ROOT, startEnv } from "../../hack/lib/operator-env.js";
import { parseWebApp } from "../../src/api/index.js";
import { isRetryable, KubeApiError } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { CHILD_KINDS, childKindOf, render } from "../../src/render/index.js";
import { parseYamlStream } from "../../src/util/yaml.js";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.stop();
});

function rendered(example: string, namespace: string): KubeObject[] {
  const [doc] = parseYamlStream(readFileSync(join(ROOT, "examples", example), "utf8")) as KubeObject[];
  const parsed = parseWebApp({ ...doc, metadata: { ...doc!.metadata, namespace, uid: "uid-1" } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return render(parsed.webapp).objects as KubeObject[];
}

describe("the operator's applies", () => {
  for (const example of ["flask-app.yaml", "django-app.yaml", "static-site.yaml", "app-only.yaml"]) {
    it(`of ${example}'s children are accepted by the upstream schemas as they are`, async () => {
      const namespace = example.replace(".yaml", "");
      await createNamespace(env, namespace);
      const objects = rendered(example, namespace).filter((o) => childKindOf(o)?.optional !== true);
      expect(objects.length).toBeGreaterThan(1);
      for (const obj of objects) {
        const stored = await env.client.apply(childKindOf(obj)!, obj);
        expect(stored.metadata.name, `${obj.kind} ${obj.metadata.name}`).toBe(obj.metadata.name);
      }
    });
  }

  it("with a field the schema does not declare are refused, naming its path", async () => {
    await createNamespace(env, "strict");
    const deployment = rendered("flask-app.yaml", "strict").find((o) => o.kind === "Deployment")!;
    const spec = deployment.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
    spec.template.spec.containers[0]!.colour = "blue";
    const err = await env.client.apply(CHILD_KINDS.Deployment, deployment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    // kube-apiserver answers this with a 500 (kubernetes/kubernetes#122480), though no retry can help:
    // the operator reports it at once instead of retrying it as a passing failure.
    expect((err as KubeApiError).code).toBe(500);
    expect(isRetryable(err)).toBe(false);
    expect(isRetryable(new KubeApiError(500, "etcdserver: request timed out"))).toBe(true);
    expect((err as KubeApiError).message).toMatch(
      /\.spec\.template\.spec\.containers\[name="[a-z-]+"\]\.colour: field not declared in schema/,
    );
    const kept = await env.client
      .get(CHILD_KINDS.Deployment, "strict", deployment.metadata.name)
      .catch((e: unknown) => e);
    expect((kept as KubeApiError).code, "nothing stored").toBe(404);
  });
});
