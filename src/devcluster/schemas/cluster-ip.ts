/**
 * ClusterIP allocation from the service CIDR (the API server's `--service-cluster-ip-range`). Addresses
 * are handed out in order from the first host address; an address is taken once a Service holding it is
 * stored and free again when that Service is deleted, so user-chosen addresses are respected too.
 */
import type { FieldError } from "../errors.js";

function ipToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export class ClusterIpAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly taken = new Set<string>();
  private next = 1;

  constructor(readonly cidr: string) {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
    const addr = m ? ipToInt(m[1]!) : undefined;
    const bits = m ? Number(m[2]) : Number.NaN;
    if (addr === undefined || !(bits >= 8 && bits <= 30))
      throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}: want an IPv4 range from /8 to /30`);
    this.size = 2 ** (32 - bits);
    this.base = addr - (addr % this.size);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && n > this.base && n < this.base + this.size - 1;
  }

  /** The next free address; the caller stores it, and `take` records it once stored. */
  allocate(): string | undefined {
    const hosts = this.size - 2;
    for (let i = 0; i < hosts; i++) {
      const offset = ((this.next - 1 + i) % hosts) + 1;
      const ip = intToIp(this.base + offset);
      if (!this.taken.has(ip)) {
        this.next = (offset % hosts) + 1;
        return ip;
      }
    }
    return undefined;
  }

  take(ip: string): void {
    this.taken.add(ip);
  }

  release(ip: string): void {
    this.taken.delete(ip);
  }

  /** The real server's refusal of a clusterIP it cannot give this Service. */
  check(ip: string, previous: string | undefined): FieldError[] {
    if (ip === "None" || ip === previous) return [];
    const refuse = (why: string): FieldError[] => [
      {
        type: "FieldValueInvalid",
        field: "spec.clusterIPs",
        value: ip,
        detail: `failed to allocate IP ${ip}: ${why}`,
      },
    ];
    if (!this.contains(ip))
      return refuse(`provided IP is not in the valid range. The range of valid IPs is ${this.cidr}`);
    if (this.taken.has(ip)) return refuse("provided IP is already allocated");
    return [];
  }
}
