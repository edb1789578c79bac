import { API_VERSION, KIND, PLURAL } from "../api/index.js";
import type { KubeObject, ResourceType } from "../api/kube-object.js";
import { Kinds } from "../kube/resources.js";
import { ALL_CHILD_KINDS, LABELS, MANAGED_BY } from "../render/index.js";
import { type ControllerDefinition, Manager, type ManagerOptions } from "../runtime/manager.js";
import { trimForCache } from "./cache-trim.js";
import { policyOf } from "./child-policies.js";
import { clusterRenderInputs } from "./cluster-inputs.js";
import { ownerKeyOf } from "./ownership.js";
import { Reconciler } from "./reconcile.js";

export const WEBAPP_TYPE: ResourceType = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL };

/**
 * What the WebApp controller reconciles and watches: WebApps (spec and metadata changes; its own
 * status writes cause no work), and every child kind of the render table, cached only when labelled
 * as ours and filed under the WebApp that owns them.
 */
export function webAppController(): ControllerDefinition {
  return {
    name: "webapp",
    for: WEBAPP_TYPE,
    predicate: specOrMetaChanged,
    owns: ALL_CHILD_KINDS.map((type) => ({
      type,
      optional: type.optional ?? false,
      ...(policyOf(type).statusRead ? {} : { predicate: specOrMetaChanged }),
    })),
    // The tiers' pods (owned by ReplicaSets, labelled by the pod templates): what they say about
    // containers that cannot run goes into the WebApp's status within seconds.
    watches: [{ type: Kinds.Pod, ownerKey: podOwnerKey }],
    ownedSelector: `${LABELS.managedBy.key}=${MANAGED_BY}`,
    transform: trimForCache,
    ownerKey: ownerKeyOf,
    notServedHint:
      "install the CRD with `webapp-operator crd | kubectl apply --server-side -f -` or the Helm chart (crds.enabled=true)",
    reconciler: ({ cache, client, events, log }) =>
      new Reconciler(
        {
          webapp: (key) => cache.get(WEBAPP_TYPE, key),
          child: (type, namespace, name) => cache.get(type, `${namespace}/${name}`),
          children: (type, webappKey) => cache.owned(type, webappKey),
          pods: (webappKey) => cache.owned(Kinds.Pod, webappKey),
          served: (type) => cache.served(type),
          awaitServed: (type) => cache.awaitServed(type),
          clusterInputs: () => clusterRenderInputs(cache.serverVersion()),
        },
        {
          apply: (type, body, opts) => client.apply(type, body, opts),
          delete: (type, namespace, name, uid) => client.delete(type, namespace, name, uid),
          patchStatus: (namespace, name, patch) => client.patchStatus(WEBAPP_TYPE, namespace, name, patch),
        },
        events,
        log,
      ),
  };
}

/** The operator: the WebApp controller on the generic runtime. */
export function createOperator(opts: ManagerOptions): Manager {
  return new Manager(webAppController(), opts);
}

/** A pod's WebApp: its instance label (its controller is a ReplicaSet, not the WebApp). */
function podOwnerKey(pod: KubeObject): string | undefined {
  const instance = pod.metadata.labels?.[LABELS.instance.key];
  return instance ? `${pod.metadata.namespace ?? ""}/${instance}` : undefined;
}

/**
 * Whether anything but the status (and the bookkeeping that goes with it: resourceVersion,
 * managedFields) changed. An object without a generation (a ConfigMap, a Service) counts every
 * update as a change, since its content moves without one.
 */
function specOrMetaChanged(a: KubeObject, b: KubeObject): boolean {
  if (a.metadata.generation === undefined || b.metadata.generation === undefined) return true;
  if (a.metadata.generation !== b.metadata.generation) return true;
  if (Boolean(a.metadata.deletionTimestamp) !== Boolean(b.metadata.deletionTimestamp)) return true;
  if (a.metadata.uid !== b.metadata.uid) return true;
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {}) ||
    JSON.stringify(a.metadata.ownerReferences ?? []) !== JSON.stringify(b.metadata.ownerReferences ?? [])
  );
}
