/** Timestamps and ages formatted as the real server and kubectl do. */

/** The last second formatted by nowTimestamp() and its text: most writes fall in the same second. */
let lastSecond = Number.NaN;
let lastText = "";

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export function nowTimestamp(now?: Date): string {
  if (now) return `${now.toISOString().slice(0, 19)}Z`;
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = `${new Date(ms).toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastText;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function nowMicroTimestamp(now = new Date()): string {
  return `${now.toISOString().slice(0, 23)}000Z`;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, which kubectl's AGE column uses. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function age(timestamp: unknown, now = Date.now()): string {
  if (typeof timestamp !== "string") return "<unknown>";
  return humanDuration(now - Date.parse(timestamp));
}

/**
 * A condition's lastTransitionTime: kept from the previous condition of its type while the status
 * stays the same, now when it changes (as every controller and the kubelet set it).
 */
export function transitionTime(
  previous: readonly { type?: unknown; status?: unknown; lastTransitionTime?: unknown }[],
  type: string,
  status: string,
  now = nowTimestamp(),
): unknown {
  const prev = previous.find((c) => c.type === type);
  return prev && prev.status === status ? prev.lastTransitionTime : now;
}
