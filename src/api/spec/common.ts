import { z } from "zod";
import { withDefault } from "../defaults.js";
import { dnsSubdomain, envVarName, quantity } from "../formats.js";
import { withRules } from "../rules.js";

export const imagePullPolicy = z
  .enum(["Always", "IfNotPresent", "Never"])
  .describe(
    "When the kubelet pulls the image. Defaults as Kubernetes does: Always for :latest, else IfNotPresent.",
  );

const resourceList = (what: string) =>
  z
    .object({
      cpu: quantity(`CPU ${what}, e.g. 500m or 2.`).optional(),
      memory: quantity(`Memory ${what}, e.g. 256Mi.`).optional(),
      "ephemeral-storage": quantity(`Ephemeral storage ${what}, e.g. 1Gi.`).optional(),
    })
    .strict();

export const resources = z
  .object({
    requests: resourceList("requested (what the scheduler reserves)")
      .optional()
      .describe("Resources reserved for each container."),
    limits: resourceList("limit").optional().describe("Upper bounds for each container."),
  })
  .strict()
  .describe("Compute resources of the tier's main container, as in a Pod spec.");
export type Resources = z.output<typeof resources>;

/** A Job's retries: how many failed runs it takes before the Job counts as failed. */
export const backoffLimit = (key: "app.migrate.backoffLimit" | "cronJobs.backoffLimit", text: string) =>
  z.number().int().min(0).max(10).optional().describe(withDefault(key, text));

/** One argv element: no shell runs it, so it needs no quoting and cannot start a second command. */
/** A tier's or process type's pod count. */
export const replicaCount = z.number().int().min(0).max(1000);

export const commandArg = z.string().min(1).max(4096);

/** A command line as argv (exec form, no shell), e.g. [python, manage.py, migrate, --noinput]. */
export const commandLine = (description: string) => z.array(commandArg).min(1).max(64).describe(description);

const keyRef = (what: string) =>
  z
    .object({
      name: dnsSubdomain(`Name of the ${what}.`),
      key: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[-._a-zA-Z0-9]+$/, { message: "must be a key made of letters, digits, '-', '_' and '.'" })
        .describe(`Key within the ${what}.`),
      optional: z.boolean().optional().describe(`Whether the ${what} or its key may be missing.`),
    })
    .strict();

const envVar = withRules(
  z
    .object({
      name: envVarName("Name of the environment variable."),
      value: z.string().max(32_768).optional().describe("Literal value."),
      valueFrom: z
        .object({
          secretKeyRef: keyRef("Secret").optional().describe("Take the value from a key of a Secret."),
          configMapKeyRef: keyRef("ConfigMap")
            .optional()
            .describe("Take the value from a key of a ConfigMap."),
          fieldRef: z
            .object({
              fieldPath: z
                .string()
                .min(1)
                .max(256)
                .regex(
                  /^(metadata\.(name|namespace|uid|labels\['[^']+'\]|annotations\['[^']+'\])|spec\.(nodeName|serviceAccountName)|status\.(hostIP|podIP|podIPs))$/,
                  {
                    message: "must be a supported pod field such as metadata.name or status.podIP",
                  },
                )
                .describe("Pod field to expose, e.g. metadata.name or status.podIP."),
            })
            .strict()
            .optional()
            .describe("Take the value from a field of the pod."),
        })
        .strict()
        .optional()
        .describe("Take the value from a Secret, ConfigMap or pod field instead of `value`."),
    })
    .strict(),
  [
    {
      cel: "!(has(self.value) && has(self.valueFrom))",
      message: "set either value or valueFrom, not both",
      holds: (v) => !(v.value !== undefined && v.valueFrom !== undefined),
    },
    {
      cel: "!has(self.valueFrom) || [has(self.valueFrom.secretKeyRef), has(self.valueFrom.configMapKeyRef), has(self.valueFrom.fieldRef)].filter(x, x).size() == 1",
      message: "valueFrom needs exactly one of secretKeyRef, configMapKeyRef and fieldRef",
      fieldPath: ".valueFrom",
      holds: (v) =>
        v.valueFrom === undefined ||
        [v.valueFrom.secretKeyRef, v.valueFrom.configMapKeyRef, v.valueFrom.fieldRef].filter(
          (x) => x !== undefined,
        ).length === 1,
    },
  ],
);

export const env = z
  .array(envVar)
  .max(256)
  .describe("Environment variables of the container, as in a Pod spec.");

export const envFrom = z
  .array(
    z
      .object({
        prefix: envVarName("Prefix added to every variable name.").optional(),
        configMapRef: z
          .object({
            name: dnsSubdomain("ConfigMap name."),
            optional: z.boolean().optional().describe("Start even when the ConfigMap is missing."),
          })
          .strict()
          .optional()
          .describe("Every key of this ConfigMap becomes a variable."),
        secretRef: z
          .object({
            name: dnsSubdomain("Secret name."),
            optional: z.boolean().optional().describe("Start even when the Secret is missing."),
          })
          .strict()
          .optional()
          .describe("Every key of this Secret becomes a variable."),
      })
      .strict(),
  )
  .max(32)
  .describe("Sources of whole sets of environment variables (ConfigMaps, Secrets).");

/**
 * The name of a worker or scheduled job: a lowercase DNS label short enough that the child it names
 * (`<webapp>-worker-<name>`, `<webapp>-cron-<name>`) and its Jobs and pods stay valid names.
 */
export const processName = (description: string) =>
  z
    .string()
    .min(1)
    .max(30)
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, {
      message:
        "must be a lowercase DNS label of at most 30 characters (a-z, 0-9 and '-', starting with a letter)",
    })
    .describe(description);

/** A list of named items whose names are unique (checked by the API server and by zod, one message). */
export function namedList<T extends z.ZodType<{ name: string }>>(item: T, max: number, what: string) {
  return withRules(z.array(item).max(max), [
    {
      cel: "self.all(a, self.exists_one(b, b.name == a.name))",
      message: `each of the ${what} needs a name of its own: two have the same name`,
      holds: (xs) => new Set(xs.map((x) => x.name)).size === xs.length,
    },
  ]);
}
