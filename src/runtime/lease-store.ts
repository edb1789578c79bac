import { pino } from "pino";
import type { KubeClient } from "../kube/client.js";
import { isNotFound } from "../kube/errors.js";
import { Kinds, type KubeObject } from "../kube/resources.js";
import { Informer, type ListWatchSource } from "./informer.js";
import type { LeaseRecord, LeaseStore } from "./leader.js";
import type { Logger } from "./logger.js";

export const LEASE_NAME = "webapp-operator-leader";

/** The leader Lease through the API; updates carry the resourceVersion read, so races end in 409. */
export class ApiLeaseStore implements LeaseStore {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name = LEASE_NAME,
    private readonly log?: Logger,
  ) {}

  async get(signal?: AbortSignal): Promise<{ record: LeaseRecord; version: unknown } | undefined> {
    try {
      const lease = await this.client.get(Kinds.Lease, this.namespace, this.name, { signal });
      return { record: (lease.spec ?? {}) as LeaseRecord, version: lease };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    await this.client.create(
      Kinds.Lease,
      this.namespace,
      {
        apiVersion: Kinds.Lease.apiVersion,
        kind: Kinds.Lease.kind,
        metadata: { name: this.name, namespace: this.namespace },
        spec: record,
      },
      { signal },
    );
  }

  async update(version: unknown, record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    const read = version as KubeObject;
    await this.client.replace(
      Kinds.Lease,
      this.namespace,
      {
        apiVersion: Kinds.Lease.apiVersion,
        kind: Kinds.Lease.kind,
        metadata: {
          name: this.name,
          namespace: this.namespace,
          resourceVersion: read.metadata.resourceVersion,
        },
        spec: record,
      },
      { signal },
    );
  }

  /**
   * A watch on this one Lease (a field selector on its name), under an informer's supervision
   * (restarts, stall watchdog): a candidate hears of a release as it happens instead of finding it
   * on its next attempt, up to a jittered retry period later. Its "list" is a read of the Lease by
   * name, so a Role limited to that name (get, watch) allows all of it.
   */
  watchReleases(onReleased: () => void): () => Promise<void> {
    const released = (obj: KubeObject) => {
      if (!(obj.spec as LeaseRecord | undefined)?.holderIdentity) onReleased();
    };
    const fieldSelector = `metadata.name=${this.name}`;
    const source: ListWatchSource = {
      list: async () => {
        const lease = await this.get();
        const obj = lease?.version as KubeObject | undefined;
        // Without the Lease, a watch from "now" (no resourceVersion) sees it created.
        return { items: obj ? [obj] : [], resourceVersion: obj?.metadata.resourceVersion ?? "" };
      },
      watch: (resourceVersion, timeoutSeconds, onEvent) =>
        this.client.watch(
          Kinds.Lease,
          this.namespace,
          { resourceVersion, fieldSelector, timeoutSeconds },
          onEvent,
        ),
    };
    const informer = new Informer(
      source,
      { onAdd: released, onUpdate: (_old, obj) => released(obj), onDelete: () => onReleased() },
      this.log ?? pino({ level: "silent" }),
      { name: `Lease/${this.namespace}/${this.name}`, freeze: false },
    );
    informer.start();
    return () => informer.stop();
  }
}
