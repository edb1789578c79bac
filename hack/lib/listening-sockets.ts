// The TCP sockets listening on this machine (IPv4), read from /proc/net/tcp: to find the ports a test
// left open, or an address range another environment already uses. Empty where there is no /proc.
import { readFileSync } from "node:fs";

/** Every listening IPv4 socket as "a.b.c.d:port". */
export function listeningSockets(): string[] {
  let table: string;
  try {
    table = readFileSync("/proc/net/tcp", "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] !== "0A") continue; // LISTEN
    const [hexIp, hexPort] = (cols[1] ?? "").split(":");
    if (!hexIp || !hexPort) continue;
    const ip = (hexIp.match(/../g) ?? [])
      .map((b) => Number.parseInt(b, 16))
      .reverse()
      .join(".");
    out.push(`${ip}:${Number.parseInt(hexPort, 16)}`);
  }
  return out;
}
