/** metav1.Time: RFC 3339 in whole seconds, the precision the API server keeps. */
export function nowRfc3339(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
