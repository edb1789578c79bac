import { z } from "zod";
import { DEFAULT_STATIC_URL_PATH, DEFAULTS } from "../defaults.js";
import { withRules } from "../rules.js";
import { appSpec } from "./app.js";
import { cronJobsSpec } from "./cron-jobs.js";
import { httpRouteSpec, ingressSpec, serviceSpec } from "./exposure.js";
import { OPERATOR_ANNOTATIONS } from "./ingress-annotations.js";
import { mediaSpec, staticSpec } from "./storage.js";
import { webSpec } from "./web.js";
import { workersSpec } from "./workers.js";

export const webAppSpec = withRules(
  z
    .object({
      app: appSpec.optional(),
      web: webSpec.optional(),
      static: staticSpec.optional(),
      media: mediaSpec.optional(),
      service: serviceSpec.optional(),
      ingress: ingressSpec.optional(),
      httpRoute: httpRouteSpec.optional(),
      workers: workersSpec.optional(),
      cronJobs: cronJobsSpec.optional(),
    })
    .strict(),
  [
    {
      cel: "has(self.app) || has(self.web)",
      message: "set app, web or both: a WebApp needs at least one tier",
      holds: (s) => s.app !== undefined || s.web !== undefined,
    },
    {
      cel: "!has(self.static) || has(self.web)",
      message: "static files are served by the web tier: static needs web",
      fieldPath: ".static",
      holds: (s) => s.static === undefined || s.web !== undefined,
    },
    {
      cel: "!has(self.web) || has(self.app) || (has(self.static) && (has(self.static.persistentVolumeClaim) || (has(self.static.fromImage) && has(self.static.fromImage.image))))",
      message:
        "a static-only site (web without app) needs static files: static.persistentVolumeClaim, or static.fromImage with an image",
      fieldPath: ".static",
      holds: (s) =>
        s.web === undefined ||
        s.app !== undefined ||
        (s.static !== undefined &&
          (s.static.persistentVolumeClaim !== undefined || s.static.fromImage?.image !== undefined)),
    },
    {
      cel: "!has(self.media) || has(self.app)",
      message: "media holds uploads written by the app: media needs app",
      fieldPath: ".media",
      holds: (s) => s.media === undefined || s.app !== undefined,
    },
    {
      cel: `!has(self.static) || !has(self.media) || (has(self.static.urlPath) ? self.static.urlPath : '${DEFAULT_STATIC_URL_PATH}') != (has(self.media.urlPath) ? self.media.urlPath : '${DEFAULTS["media.urlPath"].value}')`,
      message: "static and media need different URL paths",
      fieldPath: ".media.urlPath",
      holds: (s) =>
        s.static === undefined ||
        s.media === undefined ||
        (s.static.urlPath ?? DEFAULT_STATIC_URL_PATH) !==
          (s.media.urlPath ?? DEFAULTS["media.urlPath"].value),
    },
    {
      cel: "!has(self.ingress) || !has(self.httpRoute)",
      message: "set ingress or httpRoute, not both: a WebApp is published through one of them",
      holds: (s) => s.ingress === undefined || s.httpRoute === undefined,
    },
    {
      cel: `!has(self.web) || !has(self.ingress) || !has(self.ingress.annotations) || !('${OPERATOR_ANNOTATIONS.proxyBodySize}' in self.ingress.annotations)`,
      message:
        "set web.clientMaxBodySize instead of the proxy-body-size annotation: the operator carries the web tier's limit to ingress-nginx",
      fieldPath: ".ingress.annotations",
      holds: (s) =>
        s.web === undefined || !(OPERATOR_ANNOTATIONS.proxyBodySize in (s.ingress?.annotations ?? {})),
    },
    {
      cel: "!has(self.workers) || size(self.workers) == 0 || has(self.app)",
      message: "workers run from the app image with the app's env: workers need app",
      fieldPath: ".workers",
      holds: (s) => (s.workers ?? []).length === 0 || s.app !== undefined,
    },
    {
      cel: "!has(self.cronJobs) || size(self.cronJobs) == 0 || has(self.app)",
      message: "scheduled jobs run from the app image with the app's env: cronJobs need app",
      fieldPath: ".cronJobs",
      holds: (s) => (s.cronJobs ?? []).length === 0 || s.app !== undefined,
    },
  ],
).describe("Desired state of a Python web app: NGINX in front of WSGI app servers.");

export type WebAppSpec = z.output<typeof webAppSpec>;
