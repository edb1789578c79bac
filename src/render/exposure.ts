import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IService } from "kubernetes-models/v1/Service";
import type { ResolvedSpec } from "../api/defaults.js";
import type { WebApp } from "../api/index.js";
import { childMeta, childNames, selectorFor, serviceHost } from "./names.js";
import { service } from "./workload.js";

/** The entry Service `<name>`: the web pods, or the app pods when there is no web tier. */
export function renderEntryService(webapp: WebApp, spec: ResolvedSpec): IService {
  const tier = spec.web ? "web" : "app";
  return service(childMeta(webapp, childNames(webapp.metadata.name).entryService, tier), {
    type: spec.service.type,
    port: spec.service.port,
    selector: selectorFor(webapp, tier),
  });
}

export function renderIngress(webapp: WebApp, spec: ResolvedSpec): IIngress[] {
  const ing = spec.ingress;
  if (!ing) return [];
  const names = childNames(webapp.metadata.name);
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: childMeta(webapp, names.ingress, "ingress"),
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
                  backend: { service: { name: names.entryService, port: { number: spec.service.port } } },
                },
              ],
            },
          },
        ],
      },
    },
  ];
}

/** `status.url`: where the WebApp answers inside the cluster. */
export function serviceUrl(webapp: WebApp, spec: ResolvedSpec): string {
  return `http://${serviceHost(webapp, childNames(webapp.metadata.name).entryService)}:${spec.service.port}`;
}
