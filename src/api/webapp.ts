import { z } from "zod";
import { API_VERSION, KIND, MAX_NAME_LENGTH } from "./constants.js";
import { webAppSpec } from "./spec/webapp-spec.js";
import { webAppStatus } from "./status.js";

/**
 * The object's metadata as the operator needs it. Other metadata fields pass through untouched;
 * the API server owns them.
 */
const metadata = z
  .object({
    name: z
      .string()
      .min(1)
      .max(MAX_NAME_LENGTH)
      .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, {
        message:
          "must be a lowercase DNS-1035 label (a-z, 0-9 and '-', starting with a letter), since it names Services",
      }),
    namespace: z
      .string()
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
        message: "must be a lowercase RFC 1123 label (a-z, 0-9 and '-'), as every namespace name is",
      })
      .optional(),
    uid: z.string().optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();

export const webAppObject = z
  .object({
    apiVersion: z.literal(API_VERSION).describe("APIVersion of this representation of the object."),
    kind: z.literal(KIND).describe("The kind of this object: WebApp."),
    metadata,
    spec: webAppSpec,
    status: webAppStatus.optional(),
  })
  .strict()
  // The API server checks metadata.name only as a DNS subdomain; children need more (zod checks
  // the same rule on `metadata.name` above, with a field-level message).
  .meta({
    "x-kubernetes-validations": [
      {
        rule: `self.metadata.name.size() <= ${MAX_NAME_LENGTH} && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')`,
        message: `metadata.name must be a DNS-1035 label of at most ${MAX_NAME_LENGTH} characters (it names Services and other children)`,
      },
    ],
  });

export type WebApp = z.output<typeof webAppObject>;
