import { z } from "zod";
import { withDefault } from "../defaults.js";
import { absolutePath, dnsSubdomain, imageRef, quantity, urlPathPrefix } from "../formats.js";
import { withRules } from "../rules.js";

const storageClassName = (key: "media.storageClassName" | "static.persistentVolumeClaim.storageClassName") =>
  dnsSubdomain(withDefault(key, "StorageClass of the claim the operator creates."));

const staticClaim = withRules(
  z
    .object({
      claimName: dnsSubdomain(
        "An existing PersistentVolumeClaim holding the files (mounted read-only).",
      ).optional(),
      size: quantity(
        "Size of a claim the operator creates and deletes with the WebApp, e.g. 1Gi.",
      ).optional(),
      storageClassName: storageClassName("static.persistentVolumeClaim.storageClassName").optional(),
    })
    .strict(),
  [
    {
      cel: "has(self.claimName) != has(self.size)",
      message: "set exactly one of claimName (an existing claim) and size (a claim the operator creates)",
      holds: (c) => (c.claimName !== undefined) !== (c.size !== undefined),
    },
    {
      cel: "!has(self.claimName) || !has(self.storageClassName)",
      message: "storageClassName only applies to a claim the operator creates (with size)",
      fieldPath: ".storageClassName",
      holds: (c) => c.claimName === undefined || c.storageClassName === undefined,
    },
  ],
).describe("Serve the files from a PersistentVolumeClaim (filled by your own deploy job).");

export const staticSpec = withRules(
  z
    .object({
      urlPath: urlPathPrefix(
        withDefault("static.urlPath", "URL path under which NGINX serves the files, e.g. /static/."),
      ).optional(),
      fromImage: z
        .object({
          path: absolutePath("Directory inside the image holding the files, e.g. /app/staticfiles."),
          image: imageRef(
            withDefault("static.fromImage.image", "Image to copy from.", "Required for a static-only site."),
          ).optional(),
        })
        .strict()
        .optional()
        .describe(
          "Copy the files out of a container image into each NGINX pod when it starts (an init container running `cp`).",
        ),
      persistentVolumeClaim: staticClaim.optional(),
      maxAgeSeconds: z
        .number()
        .int()
        .min(0)
        .max(31_536_000)
        .optional()
        .describe(withDefault("static.maxAgeSeconds", "Cache-Control max-age of static responses.")),
    })
    .strict(),
  [
    {
      cel: "has(self.fromImage) != has(self.persistentVolumeClaim)",
      message: "set exactly one static source: fromImage or persistentVolumeClaim",
      holds: (s) => (s.fromImage !== undefined) !== (s.persistentVolumeClaim !== undefined),
    },
  ],
).describe("Static files (CSS, JS, images) that NGINX serves itself, without touching the app.");

export const mediaSpec = withRules(
  z
    .object({
      urlPath: urlPathPrefix(
        withDefault("media.urlPath", "URL path under which NGINX serves uploaded files."),
      ).optional(),
      mountPath: absolutePath(
        withDefault("media.mountPath", "Where the volume is mounted in the app containers."),
      ).optional(),
      size: quantity("Size of the claim the operator creates, e.g. 5Gi.").optional(),
      storageClassName: storageClassName("media.storageClassName").optional(),
      accessMode: z
        .enum(["ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"])
        .optional()
        .describe(
          withDefault(
            "media.accessMode",
            "Access mode of the claim. Several pods mount it; ReadWriteOnce only works while all pods share a node.",
          ),
        ),
      claimName: dnsSubdomain("Use this existing claim instead of creating one.").optional(),
      keepOnDelete: z
        .boolean()
        .optional()
        .describe(
          withDefault(
            "media.keepOnDelete",
            "Keep the claim the operator created (and the uploads in it) when the WebApp is deleted.",
          ),
        ),
    })
    .strict(),
  [
    {
      cel: "has(self.claimName) != has(self.size)",
      message: "set exactly one of size (a claim the operator creates) and claimName (an existing claim)",
      holds: (m) => (m.claimName !== undefined) !== (m.size !== undefined),
    },
    {
      cel: "!has(self.mountPath) || !(self.mountPath == '/tmp' || self.mountPath.startsWith('/tmp/'))",
      message: "media.mountPath cannot be /tmp or below it: the app's scratch volume is mounted there",
      fieldPath: ".mountPath",
      holds: (m) => m.mountPath === undefined || !(m.mountPath === "/tmp" || m.mountPath.startsWith("/tmp/")),
    },
    {
      cel: "!has(self.urlPath) || self.urlPath != '/'",
      message: "media cannot be served at / (it would hide the app); use a path such as /media/",
      fieldPath: ".urlPath",
      holds: (m) => m.urlPath !== "/",
    },
  ],
).describe("A volume for user uploads: mounted read-write in the app pods and served read-only by NGINX.");

export type StaticSpec = z.output<typeof staticSpec>;
export type MediaSpec = z.output<typeof mediaSpec>;
