/**
 * Protobuf request bodies, as the real tools send them: kubectl's `create` generators (typed clients
 * encode protobuf) and Helm's release storage and `helm uninstall` (protobuf DeleteOptions). What gets
 * stored is what a real server stores: zero values of non-pointer fields are "unset" and defaulted.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { findKubectl, Kubectl, type KubectlResult } from "./kubectl-runner.js";

const bin = findKubectl();

describe.skipIf(!bin)("protobuf bodies from kubectl create and helm", () => {
  let cluster: DevCluster;
  let k: Kubectl;
  const json = async (...args: string[]) => JSON.parse(await k.ok(["get", ...args, "-o", "json"]));

  beforeAll(async () => {
    cluster = await startDevCluster();
    k = new Kubectl(bin!, cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(k.home, { recursive: true, force: true });
  });

  it("creates a deployment, with the pointer fields it set and the server's defaults", async () => {
    expect(await k.ok(["create", "deployment", "web", "--image=nginx:1.27"])).toContain(
      "deployment.apps/web created",
    );
    const d = await json("deploy", "web");
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.selector).toEqual({ matchLabels: { app: "web" } });
    expect(d.spec.template.metadata.labels).toEqual({ app: "web" });
    expect(d.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: "nginx", image: "nginx:1.27", resources: {} }),
    ]);
    expect(d.spec.strategy.type).toBe("RollingUpdate");
    // Zero values of non-pointer fields were on the wire but mean "unset", as in the real server.
    expect(d.spec).not.toHaveProperty("paused");
    expect(d.spec).not.toHaveProperty("minReadySeconds");
    expect(d.spec.template.spec.containers[0]).not.toHaveProperty("stdin");
    expect(d.spec.template.metadata).not.toHaveProperty("creationTimestamp");
    // An explicit zero of a pointer field is kept.
    await k.ok(["create", "deployment", "idle", "--image=nginx:1.27", "--replicas=0", "--port=8080"]);
    const idle = await json("deploy", "idle");
    expect(idle.spec.replicas).toBe(0);
    expect(idle.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 8080, protocol: "TCP" }]);
  });

  it("creates services, ports and target ports included", async () => {
    await k.ok(["create", "service", "clusterip", "api", "--tcp=80:8080", "--tcp=443:8443"]);
    const s = await json("svc", "api");
    expect(s.spec.type).toBe("ClusterIP");
    expect(s.spec.selector).toEqual({ app: "api" });
    expect(s.spec.ports).toEqual([
      { name: "80-8080", port: 80, protocol: "TCP", targetPort: 8080 },
      { name: "443-8443", port: 443, protocol: "TCP", targetPort: 8443 },
    ]);
    expect(s.spec.clusterIP).toMatch(/^10\.96\./);
  });

  it("creates a secret whose empty type is stored as Opaque, as the real server defaults it", async () => {
    await k.ok(["create", "secret", "generic", "creds", "--from-literal=user=admin", "--from-literal=pw="]);
    const s = await json("secret", "creds");
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ user: Buffer.from("admin").toString("base64"), pw: "" });
    expect(await k.ok(["get", "secret", "creds"])).toMatch(/creds\s+Opaque\s+2\s+/);
  });

  it("creates ingresses (embedded structs) and disruption budgets (int-or-string pointers)", async () => {
    await k.ok(["create", "ingress", "shop", "--class=nginx", "--rule=shop.example.com/api*=api:80"]);
    const ing = await json("ingress", "shop");
    expect(ing.spec.ingressClassName).toBe("nginx");
    expect(ing.spec.rules).toEqual([
      {
        host: "shop.example.com",
        http: {
          paths: [
            { path: "/api", pathType: "Prefix", backend: { service: { name: "api", port: { number: 80 } } } },
          ],
        },
      },
    ]);
    await k.ok(["create", "pdb", "web", "--selector=app=web", "--max-unavailable=0"]);
    expect((await json("pdb", "web")).spec).toEqual({
      selector: { matchLabels: { app: "web" } },
      maxUnavailable: 0,
    });
  });

  it("creates a HorizontalPodAutoscaler with kubectl autoscale (autoscaling/v2)", async () => {
    expect(await k.ok(["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu=80%"])).toContain(
      "horizontalpodautoscaler.autoscaling/web autoscaled",
    );
    const hpa = await json("hpa", "web");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
        },
      ],
    });
  });

  it("installs and uninstalls a Helm release (protobuf release storage and DeleteOptions)", async () => {
    const chart = mkdtempSync(join(tmpdir(), "devcluster-chart-"));
    try {
      writeFileSync(join(chart, "Chart.yaml"), "apiVersion: v2\nname: tiny\nversion: 0.1.0\n");
      mkdirSync(join(chart, "templates"));
      writeFileSync(
        join(chart, "templates", "cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tiny-config}\ndata: {greeting: hello}\n",
      );
      const install = await helm(["install", "tiny", chart, "--namespace", "default"]);
      expect(install.stderr).toBe("");
      expect(install.stdout).toContain("STATUS: deployed");
      expect(await k.ok(["get", "cm", "tiny-config", "-o", "jsonpath={.data.greeting}"])).toBe("hello");
      const uninstall = await helm(["uninstall", "tiny", "--namespace", "default"]);
      expect(uninstall.stderr).toBe("");
      expect(uninstall.stdout).toContain('release "tiny" uninstalled');
      expect((await k.run(["get", "cm", "tiny-config"])).stderr).toContain(
        'configmaps "tiny-config" not found',
      );
      expect(await k.ok(["get", "secrets", "-l", "owner=helm", "-o", "name"])).toBe("");
    } finally {
      rmSync(chart, { recursive: true, force: true });
    }
  });

  function helm(args: string[]): Promise<KubectlResult> {
    return new Promise((resolve) => {
      execFile(
        join(dirname(bin!), "helm"),
        args,
        {
          env: { PATH: process.env.PATH, HOME: k.home, KUBECONFIG: k.kubeconfig("admin") },
          timeout: 60_000,
          encoding: "utf8",
        },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      );
    });
  }
});
