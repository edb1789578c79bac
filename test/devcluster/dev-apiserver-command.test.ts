/** `webapp-operator dev-apiserver`: starts the server, loads manifests, writes a kubeconfig, stops on SIGINT. */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { devApiserverCommand } from "../../src/cli/commands/dev-apiserver.js";
import { eventually, fixturesDir } from "./helpers.js";

describe("dev-apiserver command", () => {
  it("serves the manifests it was given until interrupted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dev-apiserver-"));
    const kubeconfig = join(dir, "kubeconfig");
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    stdout.on("data", (d) => {
      out += d;
    });
    const exit = devApiserverCommand.run(
      ["--kubeconfig", kubeconfig, "-f", join(fixturesDir, "widgets-crd.yaml"), "--simulate-workloads"],
      { stdout, stderr, stdin: new PassThrough() },
    );
    await eventually(() => (existsSync(kubeconfig) && out.includes("listening") ? true : undefined), 10_000);
    const config = yaml.load(readFileSync(kubeconfig, "utf8")) as {
      clusters: { cluster: { server: string } }[];
    };
    const server = config.clusters[0]!.cluster.server;
    expect(server).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/u\/admin$/);
    const res = await fetch(`${server}/apis/test.devcluster.dev/v1alpha1`);
    expect(res.status).toBe(200);
    process.emit("SIGINT");
    expect(await exit).toBe(0);
  });

  it("names the option that is wrong", async () => {
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
    await expect(devApiserverCommand.run(["--port=abc"], io)).rejects.toThrow(
      '--port must be a whole number from 0 to 65535, not "abc"',
    );
  });
});
