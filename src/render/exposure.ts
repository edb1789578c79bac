import { publicHosts } from "../api/index.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { service } from "./workload.js";

/** The entry Service `<name>`: the web pods, or the app pods when there is no web tier. */
export function renderEntryService(ctx: RenderContext): Child {
  const tier = ctx.spec.web ? "web" : "app";
  return ctx.child(
    "entry-service",
    service(ctx.meta("entry-service", { component: tier }), {
      type: ctx.spec.service.type,
      port: ctx.spec.service.port,
      selector: ctx.selectors[tier],
    }),
  );
}

/** `status.clusterURL`: where the WebApp answers inside the cluster. */
export function clusterUrl(ctx: RenderContext): string {
  return `http://${ctx.serviceHost("entry-service")}:${ctx.spec.service.port}`;
}

/**
 * `status.url`: where users reach the WebApp from outside, through its Ingress or route: the first
 * host that is not a wildcard (a wildcard names no one address), https when that host has TLS.
 */
export function externalUrl(ctx: RenderContext): string | undefined {
  const host = publicHosts(ctx.spec).find((h) => !h.host.startsWith("*."));
  return host ? `${host.https ? "https" : "http"}://${host.host}/` : undefined;
}
