import { z } from "zod";
import { withDefault } from "../defaults.js";
import { dnsSubdomain, hostName } from "../formats.js";

export const serviceSpec = z
  .object({
    type: z
      .enum(["ClusterIP", "NodePort", "LoadBalancer"])
      .optional()
      .describe(withDefault("service.type", "Type of the entry Service `<name>`.")),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(withDefault("service.port", "Port of the entry Service.")),
  })
  .strict()
  .describe("The entry Service, in front of the web tier (or the app tier when there is no web tier).");

export const ingressSpec = z
  .object({
    host: hostName("Host name the Ingress routes to this WebApp, e.g. shop.example.com."),
    className: dnsSubdomain(withDefault("ingress.className", "IngressClass to use, e.g. nginx.")).optional(),
    tlsSecretName: dnsSubdomain(
      "Secret holding the TLS certificate for the host; enables HTTPS. The ingress controller ends TLS and tells NGINX the scheme in X-Forwarded-Proto, which the app then sees (see web.trustedProxies for whom NGINX believes).",
    ).optional(),
  })
  .strict()
  .describe("Publish the WebApp through an Ingress.");

export type ServiceSpec = z.output<typeof serviceSpec>;
export type IngressSpec = z.output<typeof ingressSpec>;
