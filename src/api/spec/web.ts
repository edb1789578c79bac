import { z } from "zod";
import { type DefaultKey, withDefault } from "../defaults.js";
import { cidr, imageRef, nginxSize, setOf } from "../formats.js";
import { imagePullPolicy, replicaCount, resources } from "./common.js";

const seconds = (key: DefaultKey, what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(3600)
    .optional()
    .describe(withDefault(key, `${what}, in seconds.`));

export const webSpec = z
  .object({
    image: imageRef(
      withDefault(
        "web.image",
        "NGINX image. It must run unprivileged on port 8080 and stop gracefully on SIGQUIT, as nginxinc/nginx-unprivileged does.",
      ),
    ).optional(),
    imagePullPolicy: imagePullPolicy.optional(),
    replicas: replicaCount.optional().describe(withDefault("web.replicas", "Number of NGINX pods.")),
    resources: resources
      .optional()
      .describe(
        "Compute resources of the NGINX container. Its CPU limit (or request) also sets the number of NGINX worker processes, one per core (default 1).",
      ),
    clientMaxBodySize: nginxSize(
      withDefault(
        "web.clientMaxBodySize",
        "Largest request body accepted (uploads); larger ones get 413. NGINX syntax, e.g. 10m.",
      ),
    ).optional(),
    proxyTimeouts: z
      .object({
        connectSeconds: seconds(
          "web.proxyTimeouts.connectSeconds",
          "How long NGINX waits to connect to an app server",
        ),
        readSeconds: seconds(
          "web.proxyTimeouts.readSeconds",
          "How long NGINX waits between two reads of an app server's answer before giving 504",
        ),
        sendSeconds: seconds(
          "web.proxyTimeouts.sendSeconds",
          "How long NGINX waits between two writes of a request to an app server",
        ),
      })
      .strict()
      .optional()
      .describe("Timeouts of the reverse proxy to the app servers."),
    proxyBuffering: z
      .boolean()
      .optional()
      .describe(
        withDefault(
          "web.proxyBuffering",
          "Buffer app responses in NGINX so slow clients do not hold app workers (needed with Gunicorn sync workers).",
        ),
      ),
    gzip: z
      .boolean()
      .optional()
      .describe(withDefault("web.gzip", "Compress text responses (HTML, CSS, JS, JSON, SVG).")),
    websockets: z
      .boolean()
      .optional()
      .describe(
        withDefault(
          "web.websockets",
          "Pass WebSocket upgrades through to the app (needs an async-capable app server).",
        ),
      ),
    trustedProxies: setOf(cidr("Address or network of a trusted proxy, e.g. 10.0.0.0/8."), 64)
      .optional()
      .describe(
        withDefault(
          "web.trustedProxies",
          "Proxies in front of NGINX (ingress controller, load balancer) whose X-Forwarded-For and X-Forwarded-Proto are believed, so the app sees the real client address and scheme. Any other peer's are replaced: NGINX tells the app its own view (the peer's address, http). Setting this list, even to [], replaces the default. Listing 0.0.0.0/0 or ::/0 lets any client claim any address and https.",
        ),
      ),
  })
  .strict()
  .describe(
    "The NGINX web tier: serves static and media files itself and proxies the rest to the app. Leave out to expose the app servers directly.",
  );

export type WebSpec = z.output<typeof webSpec>;
