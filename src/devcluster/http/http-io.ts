/** Reading request bodies and writing JSON answers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "../errors.js";
import { jsonText } from "../storage/stored-json.js";

const MAX_BODY = 16 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return readRawBody(req).then((b) => b.toString("utf8"));
}

export function readRawBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 16MiB"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** A JSON answer; a stored object's text is written once and shared (storage/stored-json.ts). */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  sendJsonText(res, code, jsonText(body), headers);
}

/** An answer whose JSON text is already written. */
export function sendJsonText(
  res: ServerResponse,
  code: number,
  text: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache, private",
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.code, err.toStatus(), err.headers);
}

/** Warning headers as the real server writes them (RFC 7234 code 299). */
export function warningHeaders(warnings: string[]): Record<string, string[]> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}

/** Whether the client asked for server-side printing (a meta.k8s.io Table). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(",")
    .map((p) => p.trim())
    .some((p) => /;\s*as=Table/.test(p) && /;\s*g=meta\.k8s\.io/.test(p) && /;\s*v=v1(;|$|\s)/.test(`${p};`));
}
