import { isConflict, isNotFound } from "./errors.js";
import { Kinds, type KubeObject, type ResourceType, resourcePath } from "./resources.js";
import {
  type ConnectionSource,
  type RequestObserver,
  Transport,
  type TransportOptions,
} from "./transport.js";

/** Patch content types (client-node names them too, but loading it for three strings costs 75 MB). */
export const PatchStrategy = {
  JsonPatch: "application/json-patch+json",
  MergePatch: "application/merge-patch+json",
  StrategicMergePatch: "application/strategic-merge-patch+json",
  ServerSideApply: "application/apply-patch+yaml",
} as const;

/** The field manager of every apply the operator makes; changing it would orphan the fields it owns. */
export const FIELD_MANAGER = "webapp-operator";

export interface ListResult {
  items: KubeObject[];
  /** Opaque: compare for equality only, never order or do arithmetic on it. */
  resourceVersion: string;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject;
}

export interface WatchOptions {
  resourceVersion: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side timeout: the server ends the watch after this many seconds. */
  timeoutSeconds?: number;
}

/** Per-call limits: abort the request when `signal` fires. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface WatchHandle {
  stop(): void;
  /** Settles when the watch ended: resolves on a clean end of stream, rejects on a transport error. */
  closed: Promise<void>;
}

/** The API calls the controller makes, as plain JSON (see Transport for why not the typed client). */
export class KubeClient {
  readonly transport: Transport;

  constructor(
    source: ConnectionSource,
    observe?: RequestObserver,
    userAgent?: string,
    options?: TransportOptions,
  ) {
    this.transport = new Transport(source, observe, userAgent, options);
  }

  async list(
    type: ResourceType,
    namespace: string | undefined,
    opts: { labelSelector?: string; fieldSelector?: string; pageSize?: number } = {},
  ): Promise<ListResult> {
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.transport.request<{
        items?: KubeObject[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>("GET", resourcePath(type, namespace), {
        query: {
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          limit: opts.pageSize ?? 500,
          continue: continueToken,
        },
      });
      for (const item of page.items ?? []) {
        // List items come without apiVersion/kind; the cache and the diff want complete objects.
        items.push({ ...item, apiVersion: type.apiVersion, kind: type.kind });
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  async watch(
    type: ResourceType,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle> {
    return this.transport.stream(
      resourcePath(type, namespace),
      {
        watch: true,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        timeoutSeconds: opts.timeoutSeconds,
        allowWatchBookmarks: true,
      },
      (line) => onEvent(line as WatchEvent),
    );
  }

  get<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    opts: CallOptions = {},
  ): Promise<T> {
    return this.transport.request<T>("GET", resourcePath(type, namespace, name), opts);
  }

  /** `namespace` undefined creates a cluster-scoped object (a Namespace, a CRD). */
  create<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    body: object,
    opts: CallOptions = {},
  ): Promise<T> {
    return this.transport.request<T>("POST", resourcePath(type, namespace), { ...opts, body });
  }

  /** PUT with the body's resourceVersion: fails with 409 if someone wrote in between. */
  replace<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    body: KubeObject,
    opts: CallOptions = {},
  ): Promise<T> {
    return this.transport.request<T>("PUT", resourcePath(type, namespace, body.metadata.name), {
      ...opts,
      body,
    });
  }

  /**
   * Server-side apply with our field manager. With `force` (the default) we take back any field we own
   * that someone else changed; without it, a field another manager set differently is a 409 conflict.
   * The body must be built from desired state, never from an object read back.
   */
  apply<T extends KubeObject = KubeObject>(
    type: ResourceType,
    body: KubeObject,
    opts: { force?: boolean } = {},
  ): Promise<T> {
    const namespace = body.metadata.namespace;
    if (!namespace)
      throw new Error(`apply ${type.kind}/${body.metadata.name}: metadata.namespace is required`);
    return this.transport.request<T>("PATCH", resourcePath(type, namespace, body.metadata.name), {
      query: { fieldManager: FIELD_MANAGER, force: opts.force ?? true },
      body,
      contentType: PatchStrategy.ServerSideApply,
    });
  }

  /** JSON merge patch of an object (the fields given replace, null removes). */
  patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<T> {
    return this.transport.request<T>("PATCH", resourcePath(type, namespace, name), {
      body: patch,
      contentType: PatchStrategy.MergePatch,
    });
  }

  /** JSON merge patch of the status subresource. */
  patchStatus<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<T> {
    return this.transport.request<T>("PATCH", resourcePath(type, namespace, name, "status"), {
      body: patch,
      contentType: PatchStrategy.MergePatch,
    });
  }

  /** Deletes one object; `uid` makes it a precondition so a recreated namesake is never hit. */
  async delete(type: ResourceType, namespace: string, name: string, uid?: string): Promise<void> {
    await this.transport.request("DELETE", resourcePath(type, namespace, name), {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        ...(uid ? { preconditions: { uid } } : {}),
      },
    });
  }

  /**
   * The kinds a group/version serves (discovery), or an empty set when the cluster does not serve the
   * group/version at all. Optional child kinds (and the WebApp CRD itself) are checked this way before
   * an informer is started for them, so a missing kind is reported instead of retried forever.
   */
  async servedKinds(apiVersion: string): Promise<Set<string>> {
    const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const list = await this.transport.request<{ resources?: { kind?: string; name?: string }[] }>(
        "GET",
        path,
      );
      return new Set((list.resources ?? []).filter((r) => !r.name?.includes("/")).map((r) => r.kind ?? ""));
    } catch (err) {
      if (isNotFound(err)) return new Set();
      throw err;
    }
  }

  /** The API server's version (`GET /version`): major and minor as numbers, and gitVersion. */
  async serverVersion(): Promise<ServerVersion> {
    const v = await this.transport.request<{ major?: string; minor?: string; gitVersion?: string }>(
      "GET",
      "/version",
    );
    // Some distributions suffix the minor ("29+"); the number is what matters.
    const major = Number.parseInt(v.major ?? "", 10);
    const minor = Number.parseInt(v.minor ?? "", 10);
    if (!Number.isFinite(major) || !Number.isFinite(minor)) {
      throw new Error(`the API server's /version has no numeric major and minor: ${JSON.stringify(v)}`);
    }
    return { major, minor, gitVersion: v.gitVersion ?? `v${major}.${minor}` };
  }

  close(): void {
    this.transport.close();
  }
}

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

/** Creates the namespace unless it exists (the development environment and the benchmarks). */
export async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  await client
    .create(Kinds.Namespace, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name } })
    .catch((err) => {
      if (!isConflict(err)) throw err;
    });
}
