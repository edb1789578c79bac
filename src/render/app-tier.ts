import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IMetricSpec } from "kubernetes-models/autoscaling/v2/MetricSpec";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ResolvedSpec } from "../api/defaults.js";
import type { WebApp } from "../api/index.js";
import { appCommand } from "./app-command.js";
import { childMeta, childNames, labelsFor, selectorFor } from "./names.js";
import {
  containerSecurityContext,
  PRE_STOP_DELAY_SECONDS,
  podSecurityContext,
  preStopDelay,
} from "./pod-security.js";
import { httpProbes } from "./probes.js";
import { mediaVolume } from "./storage.js";
import { deployment, disruptionBudget, service } from "./workload.js";

type App = NonNullable<ResolvedSpec["app"]>;

/** Seconds between SIGTERM and SIGKILL: the preStop delay, the server's graceful timeout, and a margin. */
export function appGracePeriod(app: App): number {
  return PRE_STOP_DELAY_SECONDS + app.gracefulTimeoutSeconds + 5;
}

export function autoscalingBounds(app: App): { min: number; max: number } | undefined {
  const a = app.autoscaling;
  if (!a) return undefined;
  return { min: a.minReplicas ?? Math.min(2, a.maxReplicas), max: a.maxReplicas };
}

export function renderAppTier(webapp: WebApp, spec: ResolvedSpec, app: App): object[] {
  const names = childNames(webapp.metadata.name);
  const selector = selectorFor(webapp, "app");
  const behindWeb = spec.web !== undefined;
  const media = spec.media ? mediaVolume(webapp, spec.media) : undefined;

  const container: IContainer = {
    name: "app",
    image: app.image,
    ...(app.imagePullPolicy ? { imagePullPolicy: app.imagePullPolicy } : {}),
    command: appCommand(app, behindWeb ? "*" : "127.0.0.1"),
    ports: [{ name: "http", containerPort: app.port, protocol: "TCP" }],
    ...(app.env ? { env: app.env } : {}),
    ...(app.envFrom ? { envFrom: app.envFrom } : {}),
    ...(app.resources ? { resources: app.resources } : {}),
    ...httpProbes(app.healthCheck.path, app.healthCheck.host),
    lifecycle: preStopDelay(),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      ...(media ? [{ name: "media", mountPath: spec.media!.mountPath }] : []),
    ],
  };

  const podSpec: IPodSpec = {
    ...(app.serviceAccountName ? { serviceAccountName: app.serviceAccountName } : {}),
    // The app talks to its own users, not to the Kubernetes API, unless given an account to do so.
    automountServiceAccountToken: app.serviceAccountName !== undefined,
    ...(app.imagePullSecrets ? { imagePullSecrets: app.imagePullSecrets.map((name) => ({ name })) } : {}),
    securityContext: podSecurityContext(app.runAsUser),
    terminationGracePeriodSeconds: appGracePeriod(app),
    containers: [container],
    volumes: [{ name: "tmp", emptyDir: {} }, ...(media ? [media] : [])],
  };

  const bounds = autoscalingBounds(app);
  const objects: object[] = [
    deployment(childMeta(webapp, names.appDeployment, "app"), {
      replicas: bounds ? undefined : app.replicas,
      selector,
      podLabels: { ...labelsFor(webapp, "app") },
      podSpec,
    }),
  ];

  if (behindWeb) {
    objects.push(
      service(childMeta(webapp, names.appService, "app"), { type: "ClusterIP", port: app.port, selector }),
    );
  }
  if (bounds) objects.push(autoscaler(webapp, app, bounds));
  if ((bounds ? bounds.min : app.replicas) > 1) {
    objects.push(disruptionBudget(childMeta(webapp, names.appDisruptionBudget, "app"), selector));
  }
  if (behindWeb && app.networkPolicy) objects.push(appNetworkPolicy(webapp, app));
  return objects;
}

function autoscaler(
  webapp: WebApp,
  app: App,
  bounds: { min: number; max: number },
): IHorizontalPodAutoscaler {
  const a = app.autoscaling!;
  const cpu = a.targetCPUUtilizationPercentage ?? (a.targetMemoryUtilizationPercentage ? undefined : 70);
  const metric = (name: "cpu" | "memory", averageUtilization: number): IMetricSpec => ({
    type: "Resource",
    resource: { name, target: { type: "Utilization", averageUtilization } },
  });
  const names = childNames(webapp.metadata.name);
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: childMeta(webapp, names.appAutoscaler, "app"),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names.appDeployment },
      minReplicas: bounds.min,
      maxReplicas: bounds.max,
      metrics: [
        ...(cpu !== undefined ? [metric("cpu", cpu)] : []),
        ...(a.targetMemoryUtilizationPercentage !== undefined
          ? [metric("memory", a.targetMemoryUtilizationPercentage)]
          : []),
      ],
    },
  };
}

/** Only the web pods may reach the app pods; this is what makes trusting forwarded headers safe. */
function appNetworkPolicy(webapp: WebApp, app: App): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(webapp, childNames(webapp.metadata.name).appNetworkPolicy, "network"),
    spec: {
      podSelector: { matchLabels: selectorFor(webapp, "app") },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: selectorFor(webapp, "web") } }],
          ports: [{ protocol: "TCP", port: app.port }],
        },
      ],
    },
  };
}
