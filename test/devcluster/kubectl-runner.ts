/**
 * Runs the real kubectl 1.35 (from ./hack/kube-tools.sh) against a dev cluster. Outside CI a missing
 * kubectl skips the kubectl tests loudly; in CI (CI=true) it fails them.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevCluster } from "../../src/devcluster/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The kubectl binary, or undefined (after a warning) when it cannot be had outside CI. */
export function findKubectl(): string | undefined {
  try {
    const dir = execFileSync(join(root, "hack", "kube-tools.sh"), { encoding: "utf8" }).trim();
    const bin = join(dir, "kubectl");
    execFileSync(bin, ["version", "--client"], { stdio: "ignore" });
    return bin;
  } catch (e) {
    if (process.env.CI === "true") throw new Error(`kubectl is required in CI: ${(e as Error).message}`);
    console.warn(`SKIPPING kubectl tests: kubectl 1.35 is not available (${(e as Error).message})`);
    return undefined;
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly home: string;
  private readonly kubeconfigs = new Map<string, string>();

  constructor(
    readonly bin: string,
    readonly cluster: DevCluster,
  ) {
    // A private HOME keeps kubectl's discovery cache per test run.
    this.home = mkdtempSync(join(tmpdir(), "devcluster-kubectl-"));
  }

  kubeconfig(user: string): string {
    let path = this.kubeconfigs.get(user);
    if (!path) {
      path = join(this.home, `kubeconfig-${user.replace(/[^a-z0-9-]/gi, "_")}`);
      writeFileSync(path, this.cluster.kubeconfig(user), { mode: 0o600 });
      this.kubeconfigs.set(user, path);
    }
    return path;
  }

  private env(user: string): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.home, KUBECONFIG: this.kubeconfig(user) };
  }

  run(
    args: string[],
    opts: { input?: string; user?: string; timeoutMs?: number } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        this.bin,
        args,
        { env: this.env(opts.user ?? "admin"), timeout: opts.timeoutMs ?? 20_000, encoding: "utf8" },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  /** Runs and expects exit status 0; returns stdout. */
  async ok(args: string[], opts: { input?: string; user?: string } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** A long-running kubectl (get -w) whose output accumulates. */
  background(
    args: string[],
    user = "admin",
  ): { child: ChildProcess; output: () => string; stop: () => void } {
    const child = spawn(this.bin, args, { env: this.env(user), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    return {
      child,
      output: () => out,
      stop: () => {
        if (child.exitCode === null) child.kill("SIGTERM");
      },
    };
  }
}
