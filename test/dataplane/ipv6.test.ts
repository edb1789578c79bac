// IPv4 and IPv6, for real: the rendered NGINX and app server command lines, unchanged (their
// addresses and ports as in the pod), run in a network namespace of their own, which stands for the
// pod's. Where the pod has IPv6 both tiers answer on both families; where its IPv6 is switched off
// (an IPv4-only cluster) they still start and answer on IPv4.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PreparedApp, prepareApp } from "../../hack/lib/apps.js";
import { DATA_PLANE_REQUIREMENTS } from "../../hack/lib/harness/index.js";
import { DEBIAN_TOOLS, dataPlaneAvailability, isCI } from "../../hack/lib/tools.js";
import { parseWebApp } from "../../src/api/index.js";
import { NGINX_HEALTH_PATH, NGINX_PATHS, render } from "../../src/render/index.js";

const availability = dataPlaneAvailability(
  "IPv6 tests (test/dataplane/ipv6.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);
/** A network namespace of its own needs root (CI runs as root); outside CI its absence skips, loudly. */
const canUnshare = spawnSync("unshare", ["-n", "true"], { timeout: 10_000 }).status === 0;
if (!canUnshare && !availability.skip) {
  if (isCI()) throw new Error("unshare -n fails in CI: the IPv6 tests need root");
  console.warn("SKIPPING IPv6 tests: `unshare -n` is not permitted here (needs root)");
}

interface Container {
  command: string[];
  env?: { name: string; value?: string }[];
}

/** The rendered app container and nginx.conf, NGINX proxying to the app in the same namespace. */
function rendered(server: "gunicorn" | "uwsgi"): { app: Container; conf: string } {
  const parsed = parseWebApp({
    apiVersion: "webapp-operator.dev/v1alpha1",
    kind: "WebApp",
    metadata: { name: "shop", namespace: "default" },
    spec: {
      app: { image: "registry.example.com/flask-sample:1", server, module: "app:app", workers: 1 },
      web: {},
    },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  // The app Service's address is this namespace's loopback: the app listens on the pod's own port.
  const { children } = render(parsed.webapp, { appServiceClusterIP: "127.0.0.1" });
  const deployment = children.find((c) => c.role === "app-deployment")?.object as unknown as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const config = children.find((c) => c.role === "nginx-config")?.object as unknown as {
    data: { "nginx.conf": string };
  };
  return { app: deployment.spec.template.spec.containers[0] as Container, conf: config.data["nginx.conf"] };
}

/** Fetches each URL from inside the namespace and prints `url status` lines. */
const PROBE = `
import sys, urllib.request
for url in sys.argv[1:]:
    try:
        status = urllib.request.urlopen(url, timeout=5).status
    except Exception as error:
        status = type(error).__name__
    print(url, status)
`;

/** Brings the namespace's loopback up without iproute2 (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP). */
const LOOPBACK_UP = `
import fcntl, socket, struct
s = socket.socket()
flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
`;

/**
 * Runs the app server and NGINX in a new network namespace, waits until NGINX's health endpoint
 * answers on IPv4, then probes both tiers on both families. Every process is ended before it returns.
 */
async function runInOwnNamespace(
  workDir: string,
  app: PreparedApp,
  server: "gunicorn" | "uwsgi",
  ipv6: boolean,
): Promise<Record<string, string>> {
  const { app: container, conf } = rendered(server);
  const local = conf
    .replace(`pid ${NGINX_PATHS.pidFile};`, `pid ${workDir}/nginx.pid;`)
    .replaceAll(/_temp_path \/tmp\//g, `_temp_path ${workDir}/`);
  await writeFile(join(workDir, "nginx.conf"), local);
  const [executable, ...args] = container.command;
  const env = {
    ...process.env,
    ...app.env,
    ...Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? ""])),
    ...(server === "uwsgi" ? { UWSGI_PLUGIN: "python3" } : {}),
    HOME: workDir,
  };
  const urls = [
    `http://127.0.0.1:8000${"/healthz"}`,
    "http://[::1]:8000/healthz",
    `http://127.0.0.1:8080${NGINX_HEALTH_PATH}`,
    `http://[::1]:8080${NGINX_HEALTH_PATH}`,
    "http://127.0.0.1:8080/api/info",
  ];
  const script = [
    "set -u",
    "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT",
    `${DEBIAN_TOOLS.python3} -c "$LOOPBACK_UP"`,
    ipv6 ? "" : "for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > $f; done",
    `timeout 60 ${executable === "gunicorn" ? DEBIAN_TOOLS.gunicorn : DEBIAN_TOOLS.uwsgi} "$@" > "$WORK/app.log" 2>&1 &`,
    `timeout 60 ${DEBIAN_TOOLS.nginx} -c "$WORK/nginx.conf" > "$WORK/nginx.log" 2>&1 &`,
    // Both up: NGINX's health endpoint and, through it, the app.
    `for i in $(seq 100); do ${DEBIAN_TOOLS.python3} -c "$PROBE" http://127.0.0.1:8080/api/info | grep -q ' 200$' && break; sleep 0.2; done`,
    `${DEBIAN_TOOLS.python3} -c "$PROBE" ${urls.join(" ")}`,
  ].join("\n");
  const run = spawnSync("unshare", ["-n", "bash", "-c", script, "bash", ...args], {
    cwd: app.cwd,
    env: { ...env, WORK: workDir, PROBE, LOOPBACK_UP },
    encoding: "utf8",
    timeout: 90_000,
  });
  const results = Object.fromEntries(
    run.stdout
      .split("\n")
      .filter((l) => l.startsWith("http"))
      .map((l) => l.split(" ") as [string, string]),
  );
  if (Object.keys(results).length !== urls.length) {
    throw new Error(
      `the namespace run printed no probe results: ${run.stdout}${run.stderr}${run.error ?? ""}`,
    );
  }
  return results;
}

describe.skipIf(availability.skip || !canUnshare)("the rendered tiers on IPv4 and IPv6", () => {
  let workDir: string;
  let app: PreparedApp;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "webapp-ipv6-"));
    app = await prepareApp("flask", join(workDir, "app"));
  });

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  for (const server of ["gunicorn", "uwsgi"] as const) {
    it(`${server}: where the pod has IPv6, both tiers answer on both families`, async () => {
      const dir = await mkdtemp(join(workDir, `${server}-dual-`));
      expect(await runInOwnNamespace(dir, app, server, true)).toEqual({
        "http://127.0.0.1:8000/healthz": "200",
        "http://[::1]:8000/healthz": "200",
        [`http://127.0.0.1:8080${NGINX_HEALTH_PATH}`]: "200",
        [`http://[::1]:8080${NGINX_HEALTH_PATH}`]: "200",
        "http://127.0.0.1:8080/api/info": "200",
      });
    }, 120_000);

    it(`${server}: where the pod's IPv6 is switched off, both tiers still start and answer on IPv4`, async () => {
      const dir = await mkdtemp(join(workDir, `${server}-v4-`));
      const results = await runInOwnNamespace(dir, app, server, false);
      expect(results["http://127.0.0.1:8000/healthz"]).toBe("200");
      expect(results[`http://127.0.0.1:8080${NGINX_HEALTH_PATH}`]).toBe("200");
      expect(results["http://127.0.0.1:8080/api/info"]).toBe("200");
    }, 120_000);
  }
});
