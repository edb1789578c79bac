import { pino } from "pino";
import { ownerKeyOf } from "../../../src/controller/ownership.js";
import { Reconciler } from "../../../src/controller/reconcile.js";
import { FIELD_MANAGER } from "../../../src/kube/client.js";
import { KubeApiError } from "../../../src/kube/errors.js";
import type { KubeObject, ResourceType } from "../../../src/kube/resources.js";
import { EventRecorder } from "../../../src/runtime/events.js";
import type { Logger } from "../../../src/runtime/logger.js";
import { webappObject } from "../../fixtures/webapps.js";

interface Fault {
  write: "apply" | "delete" | "status";
  /** The child's kind (any when unset). */
  kind?: string;
  when: "before" | "after";
  error: Error;
  times: number;
}

/**
 * Cache and API in one map, for Reconciler unit tests: applies land in it, reads come from it, every
 * write is counted. Apply follows the API server where ownership is decided: a second controller
 * ownerReference is refused (422); without force, a field another manager set differently is a
 * conflict (409); managedFields record who wrote. `hidden` objects exist but the cache does not
 * show them (they are not labelled as ours).
 */
export function reconcileHarness(
  opts: {
    logger?: Logger;
    hidden?: Set<string>;
    served?: (t: ResourceType) => boolean;
    clock?: () => number;
    transientFailureGraceMs?: number;
  } = {},
) {
  const objects = new Map<string, KubeObject>();
  /** Objects as they were before our apply added to someone else's, for a release to restore. */
  const before = new Map<string, KubeObject>();
  const hidden = opts.hidden ?? new Set<string>();
  let rv = 1;
  const writes: string[] = [];
  /** Kinds a WebApp asked for that are not served. */
  const awaited = new Set<string>();
  const events: {
    metadata: { name: string };
    reason: string;
    message: string;
    type: string;
    involvedObject: { name: string };
  }[] = [];
  const id = (kind: string, ns: string, name: string) => `${kind}/${ns}/${name}`;
  const faults: Fault[] = [];
  /** Throws the error of the first fault matching this write, `before` it lands or `after`. */
  const inject = async <T>(write: Fault["write"], kind: string, land: () => Promise<T>): Promise<T> => {
    const fault = faults.find((f) => f.write === write && (f.kind === undefined || f.kind === kind));
    if (fault && --fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
    if (fault?.when === "before") throw fault.error;
    const result = await land();
    if (fault) throw fault.error;
    return result;
  };
  const ownersOf = (o: KubeObject) => (o.metadata.managedFields ?? []).map((m) => m.manager);
  const content = (o: KubeObject) =>
    JSON.stringify({ ...o, metadata: undefined, status: undefined, apiVersion: undefined, kind: undefined });

  /** A reconciler with a recorder of its own: a restart makes another, as a new process would. */
  const makeReconciler = () =>
    new Reconciler(
      {
        webapp: (key) => objects.get(`WebApp/${key}`),
        child: (type: ResourceType, ns, name) =>
          hidden.has(id(type.kind, ns, name)) ? undefined : objects.get(id(type.kind, ns, name)),
        children: (type, webappKey) =>
          [...objects.values()].filter(
            (o) =>
              o.kind === type.kind &&
              !hidden.has(id(o.kind, o.metadata.namespace!, o.metadata.name)) &&
              ownerKeyOf(o) === webappKey,
          ),
        pods: (webappKey) =>
          [...objects.values()].filter(
            (o) =>
              o.kind === "Pod" &&
              `${o.metadata.namespace}/${o.metadata.labels?.["app.kubernetes.io/instance"]}` === webappKey,
          ),
        served: opts.served ?? (() => true),
        awaitServed: (type) => awaited.add(type.kind),
      },
      {
        apply: (type, body, opts) => inject("apply", type.kind, () => apply(type, body, opts)),
        delete: (type, ns, name) =>
          inject("delete", type.kind, async () => {
            writes.push(`delete ${type.kind}/${name}`);
            objects.delete(id(type.kind, ns, name));
          }),
        patchStatus: (ns, name, patch) =>
          inject("status", "WebApp", async () => {
            writes.push(`status ${ns}/${name}`);
            const current = objects.get(`WebApp/${ns}/${name}`)!;
            const next = { ...current, status: (patch as { status: unknown }).status };
            objects.set(`WebApp/${ns}/${name}`, next);
            return next;
          }),
      },
      new EventRecorder(
        {
          create: async (_t, _ns, body) => {
            const event = body as (typeof events)[number];
            if (events.some((e) => e.metadata.name === event.metadata.name)) {
              throw new KubeApiError(409, `events "${event.metadata.name}" already exists`, "AlreadyExists");
            }
            events.push(event);
          },
        },
        pino({ level: "silent" }),
        "test",
      ),
      opts.logger ?? pino({ level: "silent" }),
      opts.clock ?? Date.now,
      0, // this cache is the store itself: it never lags behind a write
      opts.transientFailureGraceMs,
    );

  async function apply(
    type: ResourceType,
    body: KubeObject,
    { force }: { force: boolean },
  ): Promise<KubeObject> {
    const key = id(type.kind, body.metadata.namespace!, body.metadata.name);
    const existing = objects.get(key);
    const releasing = content(body) === "{}";
    if (releasing) {
      writes.push(`release ${type.kind}/${body.metadata.name}`);
      const restored = before.get(key);
      if (restored) objects.set(key, restored);
      return restored ?? existing!;
    }
    if (existing) {
      const theirs = existing.metadata.ownerReferences?.find((r) => r.controller);
      const ours = body.metadata.ownerReferences?.find((r) => r.controller);
      if (theirs && ours && theirs.uid !== ours.uid) {
        throw new KubeApiError(
          422,
          `${type.kind} "${body.metadata.name}" is invalid: metadata.ownerReferences: Invalid value: Only one reference can have Controller set to true. Found "true" in references for ${theirs.kind}/${theirs.name} and ${ours.kind}/${ours.name}`,
        );
      }
      const others = ownersOf(existing).filter((m) => m !== FIELD_MANAGER);
      if (!force && others.length > 0 && content(existing) !== content(body)) {
        throw new KubeApiError(409, `Apply failed with 1 conflict: conflict with "${others[0]}"`, "Conflict");
      }
      if (others.length > 0) before.set(key, existing);
    }
    writes.push(`apply ${type.kind}/${body.metadata.name}`);
    const managers = new Set([...(existing ? ownersOf(existing) : []), FIELD_MANAGER]);
    const spec = structuredClone(body.spec) as Record<string, unknown> | undefined;
    // The API server gives every Service a cluster IP (the web tier proxies to it).
    if (type.kind === "Service" && spec && !spec.clusterIP) {
      spec.clusterIP =
        (existing?.spec as { clusterIP?: string } | undefined)?.clusterIP ?? `10.96.0.${rv % 250}`;
    }
    const stored = {
      ...structuredClone(body),
      ...(spec ? { spec } : {}),
      metadata: {
        ...structuredClone(body.metadata),
        uid: existing?.metadata.uid ?? `uid-${rv}`,
        resourceVersion: String(rv++),
        managedFields: [...managers].map((manager) => ({ manager, operation: "Apply" })),
      },
    };
    if (type.kind === "Deployment") {
      // The Deployment controller observes a written Deployment at once (its pods are another matter).
      const generation = rv - 1;
      Object.assign(stored.metadata, { generation });
      Object.assign(stored, { status: { observedGeneration: generation } });
    }
    objects.set(key, stored);
    return stored;
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests poke into arbitrary object shapes
  const get = (kind: string, name: string, ns = "store"): any => objects.get(id(kind, ns, name));

  /** Adds (or replaces the spec of) a WebApp; each name gets its own uid. */
  function webapp(name: string, spec: Record<string, unknown>, ns = "store"): KubeObject {
    const obj = webappObject(spec, name, ns) as KubeObject;
    obj.metadata.uid = `uid-of-${name}`;
    const existing = objects.get(`WebApp/${ns}/${name}`);
    if (existing) {
      obj.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      obj.status = existing.status;
    }
    objects.set(`WebApp/${ns}/${name}`, obj);
    return obj;
  }

  /** The Ready condition of a WebApp. */
  // biome-ignore lint/suspicious/noExplicitAny: condition shape
  const condition = (name: string, type = "Ready", ns = "store"): any =>
    (get("WebApp", name, ns)?.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

  /** The Deployment controller's part: every Deployment reports its pods ready at its spec's replicas. */
  function deploymentsReady(): void {
    for (const [key, d] of objects) {
      if (!key.startsWith("Deployment/")) continue;
      const n = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      objects.set(key, {
        ...d,
        metadata: { ...d.metadata, generation: 1 },
        status: {
          observedGeneration: 1,
          replicas: n,
          readyReplicas: n,
          updatedReplicas: n,
          availableReplicas: n,
        },
      } as unknown as KubeObject);
    }
  }

  /** Fails the next `times` writes of a kind: refused (`before` it lands) or with its answer lost (`after`). */
  function failNext(fault: Omit<Fault, "times"> & { times?: number }): void {
    faults.push({ times: 1, ...fault });
  }

  const harness = {
    reconciler: makeReconciler(),
    /** The operator killed and started again: nothing remembered but what the API holds. */
    restart(): void {
      harness.reconciler = makeReconciler();
    },
    objects,
    writes,
    events,
    get,
    webapp,
    condition,
    id,
    failNext,
    deploymentsReady,
    awaited,
  };
  return harness;
}
