import { IP_ADDRESS_PATTERN } from "../api/formats.js";

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

/**
 * The cluster IP as an NGINX `server` host: IPv4 as is, IPv6 in brackets. Anything but one IP
 * address (a headless Service's "None", a name, a list, a zone, a port) is refused: the value ends up
 * in nginx.conf. The pattern is the one the schema checks trusted proxies with.
 */
export function upstreamHostFromClusterIP(value: string): string {
  if (!IP_ADDRESS_PATTERN.test(value)) {
    throw new InvalidRenderInput("appServiceClusterIP", value, "must be one IPv4 or IPv6 address");
  }
  return value.includes(":") ? `[${value}]` : value;
}
