/**
 * Pod addresses from a loopback CIDR (default 127.1.0.0/16): every pod gets an address of its own, so
 * two pods can both listen on their containers' own ports. Released addresses go to the back of the line,
 * so a new pod does not inherit connections in TIME_WAIT from an old one.
 */
export class PodIpAllocator {
  private readonly base: number;
  private readonly size: number;
  private next = 2;
  private readonly used = new Set<number>();

  constructor(cidr = "127.1.0.0/16") {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
    if (!m) throw new Error(`pod CIDR must be an IPv4 CIDR such as 127.1.0.0/16, got ${cidr}`);
    const bits = Number(m[5]);
    const ip = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
    if (Number(m[1]) !== 127) throw new Error(`pod CIDR must be inside 127.0.0.0/8 (loopback), got ${cidr}`);
    if (bits < 8 || bits > 30) throw new Error(`pod CIDR prefix must be between /8 and /30, got /${bits}`);
    this.size = 2 ** (32 - bits);
    this.base = ip - (ip % this.size);
  }

  allocate(): string {
    for (let tries = 0; tries < this.size; tries++) {
      const offset = this.next;
      this.next = this.next + 1 >= this.size - 1 ? 2 : this.next + 1;
      if (this.used.has(offset)) continue;
      this.used.add(offset);
      const n = this.base + offset;
      return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
    }
    throw new Error("the pod CIDR has no free address left");
  }

  release(ip: string): void {
    const n = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    this.used.delete(n - this.base);
  }
}
