import { isIP } from "node:net";

/**
 * What the renderer takes from the cluster besides the WebApp. Offline (`webapp-operator render`)
 * there is none; the controller passes what it read from the live objects.
 */
export interface RenderInputs {
  /**
   * The app Service's cluster IP. NGINX then proxies to this address instead of resolving the
   * Service's name, which it would do once, at start: a recreated Service (a new IP) would leave it
   * proxying to a dead address, and a name that does not resolve yet would stop it from starting.
   * Because the address is in nginx.conf, a new IP changes the config hash and rolls the web pods.
   */
  appServiceClusterIP?: string;
  /**
   * Whether the cluster has the pod lifecycle's `sleep` action (on by default from Kubernetes 1.30).
   * Default true; with false, the preStop delay runs `sleep` from the image instead, which
   * distroless images do not have.
   */
  lifecycleSleepAction?: boolean;
}

export class InvalidRenderInput extends Error {
  constructor(field: keyof RenderInputs, value: unknown, rule: string) {
    super(`render input ${field} ${JSON.stringify(value)} is invalid: ${rule}`);
    this.name = "InvalidRenderInput";
  }
}

/** Plain IPv4 dotted quads or IPv6 hex groups: no zone (`%eth0`), no brackets, no port, no spaces. */
const IP_CHARACTERS = /^[0-9a-fA-F.:]{2,45}$/;

/**
 * The cluster IP as an NGINX `server` host: IPv4 as is, IPv6 in brackets. Anything but one IP
 * address (a headless Service's "None", a name, a list) is refused: the value ends up in nginx.conf.
 */
export function upstreamHostFromClusterIP(value: string): string {
  const family = IP_CHARACTERS.test(value) ? isIP(value) : 0;
  if (family === 0)
    throw new InvalidRenderInput("appServiceClusterIP", value, "must be one IPv4 or IPv6 address");
  return family === 6 ? `[${value}]` : value;
}
