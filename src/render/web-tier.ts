import { createHash } from "node:crypto";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { DEFAULT_WEB_USER } from "../api/defaults.js";
import type { ResolvedWeb } from "../api/resolve.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { mib, STATIC_COPY_MIB, webTmpMiB, withEphemeralStorage } from "./ephemeral-storage.js";
import { childLabels } from "./labels.js";
import { renderNginxConf } from "./nginx/nginx-conf.js";
import { NGINX_HEALTH_PATH, NGINX_PATHS, WEB_PORT } from "./nginx/paths.js";
import {
  containerSecurityContext,
  PRE_STOP_DELAY_SECONDS,
  podSecurityContext,
  preStopDelay,
} from "./pod-security.js";
import { httpProbes } from "./probes.js";
import { mediaVolume, staticVolume } from "./storage.js";
import { keepsConnectionsAlive } from "./upstream-keepalive.js";
import { deployment, disruptionBudget } from "./workload.js";

/** Pod-template annotation carrying the config's hash: a config change rolls the web pods. */
export const CONFIG_HASH_ANNOTATION = "webapp-operator.dev/config-hash";

export function configHash(conf: string): string {
  return createHash("sha256").update(conf).digest("hex");
}

export function nginxConfFor(ctx: RenderContext, web: ResolvedWeb): string {
  const { spec } = ctx;
  return renderNginxConf({
    webapp: `${ctx.namespace}/${ctx.name}`,
    web,
    ...(spec.app
      ? {
          upstream: {
            server: `${ctx.appServiceAddress.host}:${spec.app.port}`,
            resolvedByNginx: ctx.appServiceAddress.resolvedByNginx,
            keepalive: keepsConnectionsAlive(spec.app),
          },
        }
      : {}),
    ...(spec.static ? { static: spec.static } : {}),
    ...(spec.media ? { media: spec.media } : {}),
  });
}

export function renderWebTier(ctx: RenderContext, web: ResolvedWeb): Child[] {
  const { spec } = ctx;
  const conf = nginxConfFor(ctx, web);
  const selector = ctx.selectors.web;
  const st = spec.static;
  const fromImage = st?.fromImage;
  const copyImage = fromImage ? (fromImage.image ?? spec.app?.image) : undefined;

  const tmpMiB = webTmpMiB(web.clientMaxBodySize);
  const staticCopyMiB = st && !st.persistentVolumeClaim ? STATIC_COPY_MIB : 0;
  const mounts: IVolumeMount[] = [
    { name: "config", mountPath: NGINX_PATHS.configDir, readOnly: true },
    { name: "tmp", mountPath: NGINX_PATHS.runtimeDir },
    ...(st ? [{ name: "static", mountPath: NGINX_PATHS.staticRoot, readOnly: true }] : []),
    ...(spec.media ? [{ name: "media", mountPath: NGINX_PATHS.mediaRoot, readOnly: true }] : []),
  ];
  const volumes: IVolume[] = [
    { name: "config", configMap: { name: ctx.childName("nginx-config") } },
    { name: "tmp", emptyDir: { sizeLimit: mib(tmpMiB) } },
    ...(st ? [staticVolume(ctx, st)] : []),
    ...(spec.media ? [mediaVolume(ctx, spec.media, true)] : []),
  ];

  const initContainers: IContainer[] =
    fromImage && copyImage
      ? [
          {
            name: "copy-static",
            image: copyImage,
            ...(spec.app?.imagePullPolicy && !fromImage.image
              ? { imagePullPolicy: spec.app.imagePullPolicy }
              : {}),
            // `dir/.` copies the directory's contents, hidden files included; no shell, so no quoting issues.
            command: [
              "cp",
              "-R",
              "--",
              `${fromImage.path.replace(/\/$/, "")}/.`,
              `${NGINX_PATHS.staticRoot}/`,
            ],
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "256Mi" } },
            securityContext: containerSecurityContext(),
            volumeMounts: [{ name: "static", mountPath: NGINX_PATHS.staticRoot }],
          },
        ]
      : [];

  const container: IContainer = {
    name: "nginx",
    image: web.image,
    ...(web.imagePullPolicy ? { imagePullPolicy: web.imagePullPolicy } : {}),
    command: ["nginx", "-c", NGINX_PATHS.configFile],
    ports: [{ name: "http", containerPort: WEB_PORT, protocol: "TCP" }],
    resources: withEphemeralStorage(web.resources, tmpMiB + staticCopyMiB),
    ...httpProbes(NGINX_HEALTH_PATH),
    // NGINX stops gracefully on SIGQUIT, the stop signal of the nginx images, after the delay.
    lifecycle: preStopDelay(ctx.lifecycleSleepAction),
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };

  const podSpec: IPodSpec = {
    automountServiceAccountToken: false,
    ...(spec.app?.imagePullSecrets && initContainers.length > 0
      ? { imagePullSecrets: spec.app.imagePullSecrets.map((name) => ({ name })) }
      : {}),
    // The app's group when there is an app: the claims both tiers mount stay writable by the app.
    securityContext: podSecurityContext(DEFAULT_WEB_USER, spec.app?.runAsUser ?? DEFAULT_WEB_USER),
    // In-flight proxied requests may take up to the read timeout to finish after the delay.
    terminationGracePeriodSeconds: PRE_STOP_DELAY_SECONDS + web.proxyTimeouts.readSeconds + 5,
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers: [container],
    volumes,
  };

  const children: Child[] = [
    ctx.child("nginx-config", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: ctx.meta("nginx-config"),
      data: { "nginx.conf": conf },
    }),
    ctx.child(
      "web-deployment",
      deployment(ctx.meta("web-deployment"), {
        replicas: web.replicas,
        selector,
        podLabels: childLabels(ctx.name, "web"),
        podAnnotations: { [CONFIG_HASH_ANNOTATION]: configHash(conf) },
        podSpec,
      }),
    ),
  ];
  if (web.replicas > 1) {
    children.push(
      ctx.child("web-disruption-budget", disruptionBudget(ctx.meta("web-disruption-budget"), selector)),
    );
  }
  return children;
}
