import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { parseRunFlags, runCommand } from "../../src/cli/commands/run.js";
import { parseDuration } from "../../src/runtime/duration.js";
import { parseBindAddress } from "../../src/runtime/health-server.js";

describe("webapp-operator run flags", () => {
  it("--help documents every flag the command accepts", () => {
    for (const flag of [
      "--kubeconfig",
      "--context",
      "--namespaces",
      "--concurrency",
      "--resync-period",
      "--watch-stall-timeout",
      "--leader-elect",
      "--leader-election-namespace",
      "--leader-election-lease-duration",
      "--leader-election-renew-deadline",
      "--leader-election-retry-period",
      "--metrics-bind-address",
      "--health-probe-bind-address",
      "--log-level",
    ]) {
      expect(runCommand.help).toContain(flag);
      expect(() => parseRunFlags(flag === "--leader-elect" ? [flag] : [flag, "x"])).not.toThrow();
    }
  });

  it("takes --flag value, --flag=value and boolean flags; rejects unknown ones by name", () => {
    const flags = parseRunFlags(["--namespaces", "a,b", "--concurrency=3", "--leader-elect"]);
    expect(Object.fromEntries(flags)).toEqual({
      namespaces: "a,b",
      concurrency: "3",
      "leader-elect": "true",
    });
    expect(() => parseRunFlags(["--nope"])).toThrow(/unknown flag --nope/);
    expect(() => parseRunFlags(["--context"])).toThrow(/--context needs a value/);
    expect(() => parseRunFlags(["--leader-elect=maybe"])).toThrow(UsageError);
  });
});

describe("parseDuration", () => {
  it("reads Go-style durations", () => {
    expect(parseDuration("15s", "--x")).toBe(15_000);
    expect(parseDuration("1m30s", "--x")).toBe(90_000);
    expect(parseDuration("500ms", "--x")).toBe(500);
    expect(() => parseDuration("15", "--lease")).toThrow(/--lease: "15" is not a duration/);
  });
});

describe("parseBindAddress", () => {
  it("reads host:port, :port and 0 (disabled)", () => {
    expect(parseBindAddress(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseBindAddress("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseBindAddress("0")).toBeUndefined();
    expect(() => parseBindAddress("localhost")).toThrow(/invalid bind address/);
  });
});
