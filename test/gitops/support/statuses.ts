/**
 * WebApps carrying the statuses the controller really writes, made by its own status code
 * (src/controller/status.ts) from Deployment states, so GitOps health checks are tested against the
 * shapes the operator produces, not against hand-written guesses.
 */
import type { WebAppStatus } from "../../../src/api/index.js";
import { observeMigration } from "../../../src/controller/migration-status.js";
import { computeStatus, invalidSpecStatus, observeTier } from "../../../src/controller/status.js";
import type { Migration } from "../../../src/controller/version-gate.js";
import type { KubeObject } from "../../../src/kube/resources.js";

const NOW = "2026-01-15T10:00:00Z";
const LATER = "2026-01-15T10:05:00Z";

export interface WebAppWithStatus {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation: number; deletionTimestamp?: string };
  spec: Record<string, unknown>;
  status?: WebAppStatus;
}

function deployment(
  name: string,
  opts: {
    replicas: number;
    ready: number;
    updated?: number;
    generation?: number;
    observed?: number;
    stuck?: boolean;
  },
): KubeObject {
  const generation = opts.generation ?? 1;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "shop", generation },
    spec: { replicas: opts.replicas },
    status: {
      observedGeneration: opts.observed ?? generation,
      replicas: opts.replicas,
      readyReplicas: opts.ready,
      availableReplicas: opts.ready,
      updatedReplicas: opts.updated ?? opts.replicas,
      ...(opts.stuck
        ? {
            conditions: [
              {
                type: "Progressing",
                status: "False",
                reason: "ProgressDeadlineExceeded",
                message: `ReplicaSet "${name}-5d9c7b" has timed out progressing.`,
              },
            ],
          }
        : {}),
    },
  };
}

function webapp(generation: number, status: WebAppStatus | undefined): WebAppWithStatus {
  return {
    apiVersion: "webapp-operator.dev/v1alpha1",
    kind: "WebApp",
    metadata: { name: "shop", namespace: "shop", generation },
    spec: { app: { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" }, web: {} },
    ...(status ? { status } : {}),
  };
}

const readyTiers = () => [
  observeTier("web", "shop-web", deployment("shop-web", { replicas: 2, ready: 2 })),
  observeTier("app", "shop-app", deployment("shop-app", { replicas: 3, ready: 3 })),
];

function status(
  generation: number,
  tiers: ReturnType<typeof readyTiers>,
  extra: {
    applyErrors?: string[];
    warnings?: string[];
    previous?: WebAppStatus;
    now?: string;
    migration?: Partial<Migration>;
  } = {},
): WebAppStatus {
  const migration: Migration | undefined = extra.migration && {
    version: "5f1c2b9a7e",
    job: "shop-migrate-5f1c2b9a7e",
    state: "Running",
    runningVersion: "0a9e3d1c4b",
    cancelled: [],
    ...extra.migration,
  };
  return computeStatus({
    ...(migration ? { migration: observeMigration(migration, [], "shop") } : {}),
    generation,
    previous: extra.previous,
    tiers,
    applyErrors: extra.applyErrors ?? [],
    warnings: extra.warnings ?? [],
    selector: "app.kubernetes.io/name=webapp,app.kubernetes.io/instance=shop,app.kubernetes.io/component=app",
    url: "http://shop.shop.svc:80",
    now: extra.now ?? NOW,
  });
}

const ready = status(1, readyTiers());

/** name -> the WebApp as a GitOps tool would read it from the API. */
export const SCENARIOS = {
  "just created, no status yet": webapp(1, undefined),
  "rolling out: app pods not ready yet": webapp(
    1,
    status(1, [
      observeTier("web", "shop-web", deployment("shop-web", { replicas: 2, ready: 2 })),
      observeTier("app", "shop-app", deployment("shop-app", { replicas: 3, ready: 1 })),
    ]),
  ),
  "ready: every tier ready and updated": webapp(1, ready),
  "ready with warnings": webapp(
    1,
    status(1, readyTiers(), { warnings: ["app.workers is above 4 x CPU cores"] }),
  ),
  "spec changed, the operator has not seen it yet": webapp(2, ready),
  "new image rolling out after a spec change": webapp(
    2,
    status(
      2,
      [
        observeTier("web", "shop-web", deployment("shop-web", { replicas: 2, ready: 2 })),
        observeTier(
          "app",
          "shop-app",
          deployment("shop-app", { replicas: 3, ready: 3, updated: 1, generation: 2 }),
        ),
      ],
      { previous: ready, now: LATER },
    ),
  ),
  "rollout stuck: progress deadline exceeded": webapp(
    2,
    status(
      2,
      [
        observeTier("web", "shop-web", deployment("shop-web", { replicas: 2, ready: 2 })),
        observeTier(
          "app",
          "shop-app",
          deployment("shop-app", { replicas: 3, ready: 2, updated: 1, generation: 2, stuck: true }),
        ),
      ],
      { previous: ready, now: LATER },
    ),
  ),
  "a child could not be applied": webapp(
    1,
    status(1, readyTiers(), {
      applyErrors: [
        'Ingress shop: admission webhook "validate.nginx.ingress.kubernetes.io" denied the request',
      ],
    }),
  ),
  "new version migrating its database (the previous version serves)": webapp(
    2,
    status(2, readyTiers(), { previous: ready, now: LATER, migration: {} }),
  ),
  "migration failed (the previous version serves)": webapp(
    2,
    status(2, readyTiers(), {
      previous: ready,
      now: LATER,
      migration: {
        state: "Failed",
        failure: { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" },
      },
    }),
  ),
  "invalid spec (children left as they were)": webapp(
    3,
    invalidSpecStatus(
      ready,
      3,
      "Invalid spec, children left unchanged: spec.app.port: must be at most 65535",
      LATER,
    ),
  ),
} satisfies Record<string, WebAppWithStatus>;

export type ScenarioName = keyof typeof SCENARIOS;
