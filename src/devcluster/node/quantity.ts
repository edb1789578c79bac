/** Kubernetes quantities as numbers (cpu in cores, memory and storage in bytes): "500m", "64Mi", "1G". */
const UNITS: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function quantity(text: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return 0;
  return Number(m[1]) * (UNITS[m[2]!] ?? 1);
}
