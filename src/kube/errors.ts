/**
 * An error response from the Kubernetes API (or a transport failure, code 0), with the server's
 * `Status` reason and message when it sent one.
 */
export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(
    /** HTTP status, or 0 when the request never got a response (connection reset, timeout). */
    readonly code: number,
    message: string,
    /** The `reason` of the server's `Status` object (`NotFound`, `Conflict`, `Expired`, ...). */
    readonly reason?: string,
    /** Seconds the server asked us to wait (429/503 `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

function codeOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.code;
  if (typeof err === "object" && err !== null) {
    const c =
      (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
    if (typeof c === "number") return c;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => codeOf(err) === 404;
export const isConflict = (err: unknown): boolean => codeOf(err) === 409;
/** 410 Gone: the resourceVersion we watched from was compacted away; the only cure is a fresh list. */
export const isGone = (err: unknown): boolean => codeOf(err) === 410;

/**
 * Worth trying again with the same request: conflicts (someone else wrote first), throttling, server
 * errors and transport failures. 4xx validation errors are not: repeating them changes nothing. Nor
 * is a server-side apply whose body has a field the schema does not declare, which kube-apiserver
 * answers with a 500 (kubernetes/kubernetes#122480) though it is the request's fault.
 */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return true;
  if (code >= 500 && isSchemaRefusal(err)) return false;
  return code === 0 || code === 409 || code === 429 || code >= 500;
}

const SSA_SCHEMA_REFUSAL = /failed to create typed patch object \([^)]*\): .*field not declared in schema/;

function isSchemaRefusal(err: unknown): boolean {
  return err instanceof Error && SSA_SCHEMA_REFUSAL.test(err.message);
}

/** Server-requested delay in milliseconds, if any. */
export function retryAfterMs(err: unknown): number | undefined {
  if (err instanceof KubeApiError && err.retryAfterSeconds !== undefined) return err.retryAfterSeconds * 1000;
  return undefined;
}

/** Builds a KubeApiError from a response status and body (a `Status` JSON object, usually). */
export function errorFromResponse(
  code: number,
  body: string,
  retryAfterHeader: string | undefined,
  what: string,
): KubeApiError {
  let reason: string | undefined;
  let message = body.trim().slice(0, 500) || `HTTP ${code}`;
  try {
    const status = JSON.parse(body) as { reason?: unknown; message?: unknown };
    if (typeof status.reason === "string") reason = status.reason;
    if (typeof status.message === "string") message = status.message;
  } catch {
    // Not JSON (a proxy's error page, a reset): keep the raw text.
  }
  const retryAfter = retryAfterHeader !== undefined ? Number.parseInt(retryAfterHeader, 10) : Number.NaN;
  return new KubeApiError(
    code,
    `${what}: ${code} ${message}`,
    reason,
    Number.isFinite(retryAfter) ? retryAfter : undefined,
  );
}
