import type { KubeClient } from "../kube/client.js";
import { isNotFound } from "../kube/errors.js";
import { Kinds, type KubeObject } from "../kube/resources.js";
import type { LeaseRecord, LeaseStore } from "./leader.js";

export const LEASE_NAME = "webapp-operator-leader";

/** The leader Lease through the API; updates carry the resourceVersion read, so races end in 409. */
export class ApiLeaseStore implements LeaseStore {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name = LEASE_NAME,
  ) {}

  async get(): Promise<{ record: LeaseRecord; version: unknown } | undefined> {
    try {
      const lease = await this.client.get(Kinds.Lease, this.namespace, this.name);
      return { record: (lease.spec ?? {}) as LeaseRecord, version: lease };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<void> {
    await this.client.create(Kinds.Lease, this.namespace, {
      apiVersion: Kinds.Lease.apiVersion,
      kind: Kinds.Lease.kind,
      metadata: { name: this.name, namespace: this.namespace },
      spec: record,
    });
  }

  async update(version: unknown, record: LeaseRecord): Promise<void> {
    const read = version as KubeObject;
    await this.client.replace(Kinds.Lease, this.namespace, {
      apiVersion: Kinds.Lease.apiVersion,
      kind: Kinds.Lease.kind,
      metadata: {
        name: this.name,
        namespace: this.namespace,
        resourceVersion: read.metadata.resourceVersion,
      },
      spec: record,
    });
  }
}
