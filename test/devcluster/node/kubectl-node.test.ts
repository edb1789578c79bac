// The real kubectl 1.35 against pods the node agent runs: `kubectl logs` with -c, --previous, -f,
// --tail and --timestamps; `kubectl get pods` and `get nodes` columns; `kubectl delete pod` waiting for
// the graceful termination and returning as usual.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DevCluster } from "../../../src/devcluster/index.js";
import { findKubectl, Kubectl } from "../kubectl-runner.js";
import {
  containerStatus,
  getPod,
  nodeCluster,
  pod,
  podReady,
  status,
  waitFor,
  waitReady,
} from "./node-helpers.js";

// Real processes on a shared 2-core machine: a test's own deadlines (waitFor) decide, not the default 30 s.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const bin = findKubectl();
const IMAGE = "example.test/shell:1";

describe.skipIf(!bin)("kubectl against node agent pods", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await nodeCluster(45);
    k = new Kubectl(bin!, cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("shows the node as Ready", async () => {
    expect(await k.ok(["get", "nodes"])).toMatch(/devcluster-node\s+Ready\s+<none>\s+\S+\s+v1\.35/);
  });

  it("logs -c picks a container; without -c a pod with several defaults to the first and says so", async () => {
    cluster.apply(
      pod("two", {
        containers: [
          { name: "first", image: IMAGE, command: ["sh", "-c", "echo from-first; sleep 600"] },
          {
            name: "second",
            image: IMAGE,
            command: ["sh", "-c", "echo from-second; echo oops >&2; sleep 600"],
          },
        ],
      }),
    );
    await waitReady(cluster, "two");
    await waitFor("output written", async () =>
      (await k.run(["logs", "two", "-c", "second"])).stdout.includes("oops"),
    );
    expect(await k.ok(["logs", "two", "-c", "second"])).toBe("from-second\noops\n");
    const defaulted = await k.run(["logs", "two"]);
    expect(defaulted.stdout).toBe("from-first\n");
    expect(defaulted.stderr).toContain('Defaulted container "first" out of: first, second');
    const stamped = await k.ok(["logs", "two", "-c", "second", "--timestamps", "--tail=1"]);
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z oops\n$/);
    expect(await k.ok(["logs", "two", "-c", "second", "--limit-bytes=6"])).toBe("from-s");
    expect(await k.ok(["logs", "two", "-c", "second", "--since=1h"])).toBe("from-second\noops\n");
    const wrong = await k.run(["logs", "two", "-c", "third"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("container third is not valid for pod two");
  });

  it("logs --previous shows the instance before a restart, and says so when there is none", async () => {
    cluster.apply(
      pod("restarting", {
        containers: [
          {
            name: "app",
            image: IMAGE,
            command: ["sh", "-c", 'echo "run at $(date +%s%N)"; sleep 0.3; exit 1'],
          },
        ],
      }),
    );
    await waitFor(
      "a restart",
      () => Number(containerStatus(getPod(cluster, "restarting"), "app")?.restartCount) >= 1,
    );
    const previous = await k.ok(["logs", "restarting", "--previous"]);
    expect(previous).toMatch(/^run at \d+\n$/);
    cluster.apply(
      pod("fresh", { containers: [{ name: "app", image: IMAGE, command: ["sh", "-c", "sleep 600"] }] }),
    );
    await waitFor("running", () => podReady(getPod(cluster, "fresh")));
    const none = await k.run(["logs", "fresh", "--previous"]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('previous terminated container "app" in pod "fresh" not found');
  });

  it("logs -f follows the output until the container stops", async () => {
    cluster.apply(
      pod("ticker", {
        restartPolicy: "Never",
        containers: [
          {
            name: "app",
            image: IMAGE,
            command: ["sh", "-c", "for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done"],
          },
        ],
      }),
    );
    await waitFor("running", () => containerStatus(getPod(cluster, "ticker"), "app")?.started === true);
    const follow = await k.run(["logs", "-f", "ticker"], { timeoutMs: 20_000 });
    expect(follow.code).toBe(0);
    expect(follow.stdout).toBe("tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n");
    expect(status(getPod(cluster, "ticker")).phase).toBe("Succeeded");
  });

  it("get pods shows the container reason and the restarts; delete waits for the graceful termination", async () => {
    cluster.apply(
      pod("crashy", { containers: [{ name: "app", image: IMAGE, command: ["sh", "-c", "exit 2"] }] }),
    );
    await waitFor("CrashLoopBackOff", async () =>
      /crashy\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\S+ ago\)/.test(await k.ok(["get", "pods", "crashy"])),
    );
    expect(await k.ok(["get", "events", "--field-selector", "involvedObject.name=crashy"])).toMatch(
      /Warning\s+BackOff\s+pod\/crashy\s+Back-off restarting failed container app in pod crashy_default\(/,
    );
    const wide = await k.ok(["get", "pod", "fresh", "-o", "wide"]);
    expect(wide).toMatch(
      new RegExp(
        `fresh\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${String(status(getPod(cluster, "fresh")).podIP).replaceAll(".", "\\.")}\\s+devcluster-node`,
      ),
    );
    cluster.apply(
      pod("slow-stop", {
        terminationGracePeriodSeconds: 10,
        containers: [
          {
            name: "app",
            image: IMAGE,
            command: ["sh", "-c", "trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done"],
          },
        ],
      }),
    );
    await waitReady(cluster, "slow-stop");
    const t0 = Date.now();
    const out = await k.ok(["delete", "pod", "slow-stop"]);
    expect(out).toContain('pod "slow-stop" deleted');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(getPod(cluster, "slow-stop")).toBeUndefined();
  });
});
