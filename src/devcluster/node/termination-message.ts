/**
 * A container's termination message, as the kubelet reads it when the container ends: the file at
 * terminationMessagePath (4 KiB at most), or with FallbackToLogsOnError and a failure, the last 80 lines
 * of its log within 2 KiB.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JsonObject } from "../types.js";
import { parseCriLog } from "./container-log-file.js";

/** The host file standing for terminationMessagePath, in the container's own scratch directory. */
export const TERMINATION_LOG = "termination-log";
const TERMINATION_MESSAGE_BYTES = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

export function terminationMessagePath(spec: JsonObject): string {
  const p = spec.terminationMessagePath;
  return typeof p === "string" && p.startsWith("/") ? p : "/dev/termination-log";
}

export function readTerminationMessage(
  spec: JsonObject,
  scratchDir: string,
  logFile: string,
  exitCode: number,
): string | undefined {
  let message = "";
  try {
    message = readFileSync(join(scratchDir, TERMINATION_LOG))
      .subarray(0, TERMINATION_MESSAGE_BYTES)
      .toString("utf8");
  } catch {
    // No file: no message.
  }
  if (!message && exitCode !== 0 && spec.terminationMessagePolicy === "FallbackToLogsOnError") {
    let log = "";
    try {
      log = readFileSync(logFile, "utf8");
    } catch {
      // No log either.
    }
    message = parseCriLog(log)
      .records.slice(-FALLBACK_LOG_LINES)
      .map((r) => r.text)
      .join("");
    if (Buffer.byteLength(message) > FALLBACK_LOG_BYTES)
      message = Buffer.from(message).subarray(-FALLBACK_LOG_BYTES).toString("utf8");
  }
  return message || undefined;
}
