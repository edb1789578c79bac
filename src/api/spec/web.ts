import { z } from "zod";
import { cidr, imageRef, nginxSize, setOf } from "../formats.js";
import { imagePullPolicy, resources } from "./common.js";

const seconds = (what: string, dflt: number) =>
  z.number().int().min(1).max(3600).optional().describe(`${what}, in seconds. Default: ${dflt}.`);

export const webSpec = z
  .object({
    image: imageRef(
      "NGINX image. It must run unprivileged on port 8080 and stop gracefully on SIGQUIT, as nginxinc/nginx-unprivileged does. Default: nginxinc/nginx-unprivileged:1.27-alpine.",
    ).optional(),
    imagePullPolicy: imagePullPolicy.optional(),
    replicas: z.number().int().min(0).max(1000).optional().describe("Number of NGINX pods. Default: 2."),
    resources: resources
      .optional()
      .describe(
        "Compute resources of the NGINX container. Its CPU limit (or request) also sets the number of NGINX worker processes, one per core (default 1).",
      ),
    clientMaxBodySize: nginxSize(
      "Largest request body accepted (uploads); larger ones get 413. NGINX syntax, e.g. 10m. Default: 10m.",
    ).optional(),
    proxyTimeouts: z
      .object({
        connectSeconds: seconds("How long NGINX waits to connect to an app server", 5),
        readSeconds: seconds(
          "How long NGINX waits between two reads of an app server's answer before giving 504",
          60,
        ),
        sendSeconds: seconds("How long NGINX waits between two writes of a request to an app server", 60),
      })
      .strict()
      .optional()
      .describe("Timeouts of the reverse proxy to the app servers."),
    proxyBuffering: z
      .boolean()
      .optional()
      .describe(
        "Buffer app responses in NGINX so slow clients do not hold app workers (needed with Gunicorn sync workers). Default: true.",
      ),
    gzip: z
      .boolean()
      .optional()
      .describe("Compress text responses (HTML, CSS, JS, JSON, SVG). Default: true."),
    websockets: z
      .boolean()
      .optional()
      .describe(
        "Pass WebSocket upgrades through to the app (needs an async-capable app server). Default: false.",
      ),
    trustedProxies: setOf(cidr("Address or network of a trusted proxy, e.g. 10.0.0.0/8."), 64)
      .optional()
      .describe(
        "Proxies in front of NGINX (ingress controller, load balancer) whose X-Forwarded-For and X-Forwarded-Proto are believed, so the app sees the real client address and scheme. Default: none.",
      ),
  })
  .strict()
  .describe(
    "The NGINX web tier: serves static and media files itself and proxies the rest to the app. Leave out to expose the app servers directly.",
  );

export type WebSpec = z.output<typeof webSpec>;
