import type { KubeObject, ResourceType } from "../api/kube-object.js";
import type { RenderInputs } from "../render/index.js";

/** The API writes a reconcile makes. */
export interface ReconcileWriter {
  /** Server-side apply with our field manager; `force` takes back fields another manager changed. */
  apply(type: ResourceType, body: KubeObject, opts: { force: boolean }): Promise<KubeObject>;
  delete(type: ResourceType, namespace: string, name: string, uid?: string): Promise<void>;
  patchStatus(namespace: string, name: string, patch: object): Promise<KubeObject>;
}

/** What a reconcile reads: the informer caches only, never the API. */
export interface ReconcileReader {
  webapp(key: string): KubeObject | undefined;
  child(type: ResourceType, namespace: string, name: string): KubeObject | undefined;
  /** Cached children of one kind that belong to the WebApp at `webappKey` (namespace/name). */
  children(type: ResourceType, webappKey: string): KubeObject[];
  /** Cached pods of the WebApp at `webappKey` (found by its instance label). */
  pods(webappKey: string): KubeObject[];
  /** Whether the cluster serves the kind. */
  served(type: ResourceType): boolean;
  /** A WebApp needs this kind, which is not served: the cluster is asked again for it now and then. */
  awaitServed(type: ResourceType): void;
  /** What the renderer needs to know of the cluster beyond the WebApp (from its version); none when unset. */
  clusterInputs?(): RenderInputs;
}
