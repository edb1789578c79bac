import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
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

export function renderIngress(ctx: RenderContext): Child[] {
  const ing = ctx.spec.ingress;
  if (!ing) return [];
  const ingress: IIngress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: ctx.meta("ingress"),
    spec: {
      ...(ing.className ? { ingressClassName: ing.className } : {}),
      ...(ing.tlsSecretName ? { tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }] } : {}),
      rules: [
        {
          host: ing.host,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: {
                  service: { name: ctx.childName("entry-service"), port: { number: ctx.spec.service.port } },
                },
              },
            ],
          },
        },
      ],
    },
  };
  return [ctx.child("ingress", ingress)];
}

/** `status.clusterURL`: where the WebApp answers inside the cluster. */
export function clusterUrl(ctx: RenderContext): string {
  return `http://${ctx.serviceHost("entry-service")}:${ctx.spec.service.port}`;
}

/** Where users reach the WebApp from outside: its Ingress host (https with TLS), if it has one. */
export function externalUrl(ctx: RenderContext): string | undefined {
  const ing = ctx.spec.ingress;
  if (!ing || ing.host.startsWith("*.")) return undefined;
  return `${ing.tlsSecretName ? "https" : "http"}://${ing.host}/`;
}
