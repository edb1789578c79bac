import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";

/**
 * The HTTPRoute `<name>` (Gateway API, gateway.networking.k8s.io/v1): attached to the Gateways the
 * spec names, for its host names, sending every path to the entry Service. The Gateway's listener
 * terminates TLS; the route carries none. Only the fields the operator means are sent: the API server
 * fills in the CRD's defaults (parentRef group and kind, backend weight), which the diff ignores.
 */
export function renderHttpRoute(ctx: RenderContext): Child[] {
  const route = ctx.spec.httpRoute;
  if (!route) return [];
  return [
    ctx.child("http-route", {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: ctx.meta("http-route"),
      spec: {
        parentRefs: route.parentRefs.map((p) => ({
          name: p.name,
          ...(p.namespace ? { namespace: p.namespace } : {}),
          ...(p.sectionName ? { sectionName: p.sectionName } : {}),
        })),
        ...(route.hostnames.length > 0 ? { hostnames: route.hostnames } : {}),
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [{ name: ctx.childName("entry-service"), port: ctx.spec.service.port }],
          },
        ],
      },
    }),
  ];
}
