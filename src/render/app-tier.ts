import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { autoscalingBounds, type ResolvedSpec } from "../api/resolve.js";
import { appCommand } from "./app-command.js";
import { autoscaler } from "./autoscaler.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { APP_TMP_MIB, mib, withEphemeralStorage } from "./ephemeral-storage.js";
import { childLabels } from "./labels.js";
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

/** The app container's writable scratch directory (an emptyDir; the root filesystem is read-only). */
const APP_TMP = "/tmp";

/**
 * HOME on the writable emptyDir unless the user sets it: with a read-only root filesystem and an
 * image whose user has no home, HOME is `/`, and Gunicorn 25 and later fail writing `~/.gunicorn`.
 */
function withWritableHome(env: NonNullable<App["env"]>): NonNullable<App["env"]> {
  return env.some((e) => e.name === "HOME") ? env : [{ name: "HOME", value: APP_TMP }, ...env];
}

/** Seconds between SIGTERM and SIGKILL: the preStop delay, the server's graceful timeout, and a margin. */
export function appGracePeriod(app: App): number {
  return PRE_STOP_DELAY_SECONDS + app.gracefulTimeoutSeconds + 5;
}

export function renderAppTier(ctx: RenderContext, app: App): Child[] {
  const { spec } = ctx;
  const selector = ctx.selectors.app;
  const behindWeb = spec.web !== undefined;
  const media = spec.media ? mediaVolume(ctx, spec.media) : undefined;

  const container: IContainer = {
    name: "app",
    image: app.image,
    ...(app.imagePullPolicy ? { imagePullPolicy: app.imagePullPolicy } : {}),
    // Forwarded headers are believed from any peer only where the NetworkPolicy lets nothing but
    // the web pods reach the app; otherwise from nothing outside the pod.
    command: appCommand(app, behindWeb && app.networkPolicy ? "*" : "127.0.0.1"),
    ports: [{ name: "http", containerPort: app.port, protocol: "TCP" }],
    env: withWritableHome(app.env ?? []),
    ...(app.envFrom ? { envFrom: app.envFrom } : {}),
    resources: withEphemeralStorage(app.resources, APP_TMP_MIB),
    ...httpProbes(app.healthCheck.path, app.healthCheck.host),
    lifecycle: preStopDelay(ctx.lifecycleSleepAction),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: "tmp", mountPath: APP_TMP },
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
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: mib(APP_TMP_MIB) } }, ...(media ? [media] : [])],
  };

  const bounds = autoscalingBounds(app.autoscaling);
  const children: Child[] = [
    ctx.child(
      "app-deployment",
      deployment(ctx.meta("app-deployment"), {
        replicas: bounds ? undefined : app.replicas,
        selector,
        podLabels: childLabels(ctx.name, "app"),
        podSpec,
      }),
    ),
  ];

  if (behindWeb) {
    children.push(
      ctx.child(
        "app-service",
        service(ctx.meta("app-service"), { type: "ClusterIP", port: app.port, selector }),
      ),
    );
  }
  if (bounds) {
    const hpa = autoscaler(
      ctx.meta("app-autoscaler"),
      ctx.childName("app-deployment"),
      app.autoscaling!,
      bounds,
    );
    children.push(ctx.child("app-autoscaler", hpa));
  }
  if ((bounds ? bounds.min : app.replicas) > 1) {
    children.push(
      ctx.child("app-disruption-budget", disruptionBudget(ctx.meta("app-disruption-budget"), selector)),
    );
  }
  if (behindWeb && app.networkPolicy) {
    children.push(ctx.child("app-network-policy", appNetworkPolicy(ctx, app)));
  }
  return children;
}

/** Only the web pods may reach the app pods; this is what makes trusting forwarded headers safe. */
function appNetworkPolicy(ctx: RenderContext, app: App): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: ctx.meta("app-network-policy"),
    spec: {
      podSelector: { matchLabels: ctx.selectors.app },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: ctx.selectors.web } }],
          ports: [{ protocol: "TCP", port: app.port }],
        },
      ],
    },
  };
}
