/**
 * A dynamic provisioner and the PersistentVolume binder, for one node: each PersistentVolumeClaim gets a
 * PersistentVolume `pvc-<claim uid>` backed by a host directory `<workDir>/pvc-<claim uid>` (hostPath),
 * and is bound to it (volumeName, phase Bound, capacity, accessModes, the binder's annotations). The
 * directory outlives the pods that mount it; the kubelet finds it through `volumeDirectory`. Deleting
 * the claim releases the volume: with reclaim policy Delete (every provisioned volume) the directory
 * and the PersistentVolume go; a PersistentVolume created with Retain keeps both, phase Released.
 * A claim naming an existing Available PersistentVolume (spec.volumeName) is bound to that one.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoredEvent } from "../storage/store.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { Controller, type ControllerKit, PVCS, PVS, splitKey } from "./controller-kit.js";
import { isTerminating, specOf, statusOf } from "./pods.js";

const PROVISIONER = "devcluster.local/hostpath";

export interface VolumeProvisionerOptions {
  /** Where claim directories live. Default: a new temporary directory, removed when the cluster stops. */
  workDir?: string;
}

export class VolumeProvisioner extends Controller {
  private root: string | undefined;
  private readonly ownRoot: boolean;

  constructor(kit: ControllerKit, options: VolumeProvisionerOptions = {}) {
    super(kit, "persistentvolume-binder");
    this.root = options.workDir;
    this.ownRoot = options.workDir === undefined;
    this.enqueueAll(PVCS);
  }

  private workDir(): string {
    if (!this.root) {
      this.root = mkdtempSync(join(tmpdir(), "devcluster-volumes-"));
      chmodSync(this.root, 0o755); // mkdtemp's 0700 would keep every pod but root's out of its claims
    }
    mkdirSync(this.root, { recursive: true });
    return this.root;
  }

  protected onEvent(e: StoredEvent): void {
    if (e.storageKey === PVCS) {
      if (e.type === "DELETED") this.queue.add(`release/${e.object.metadata.uid}`);
      else this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    }
  }

  protected reconcile(key: string): void {
    if (key.startsWith("release/")) {
      this.release(key.slice("release/".length));
      return;
    }
    const { namespace, name } = splitKey(key);
    const claim = this.kit.get(PVCS, namespace, name);
    if (!claim || isTerminating(claim) || statusOf(claim).phase === "Bound") return;
    const wanted = specOf(claim).volumeName;
    const pv =
      typeof wanted === "string" && wanted ? this.kit.get(PVS, undefined, wanted) : this.provision(claim);
    if (!pv || statusOf(pv).phase === "Bound" || statusOf(pv).phase === "Released") return;
    this.bind(claim, pv);
  }

  private provision(claim: KubeObject): KubeObject | undefined {
    const name = `pvc-${claim.metadata.uid}`;
    const existing = this.kit.get(PVS, undefined, name);
    if (existing) return existing;
    const spec = specOf(claim);
    const requests =
      isObject(spec.resources) && isObject(spec.resources.requests) ? spec.resources.requests : {};
    const path = join(this.workDir(), name);
    mkdirSync(path, { recursive: true });
    // Open to every user whatever the umask, as hostPath provisioners make it: the pods sharing a claim
    // run as different users (NGINX reads what the app wrote).
    chmodSync(path, 0o777);
    const pvSpec: JsonObject = {
      capacity: { storage: requests.storage ?? "1Gi" },
      accessModes: spec.accessModes ?? ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      volumeMode: spec.volumeMode ?? "Filesystem",
      hostPath: { path, type: "" },
    };
    if (typeof spec.storageClassName === "string") pvSpec.storageClassName = spec.storageClassName;
    return this.kit.tolerate(() =>
      this.kit.create(PVS, undefined, {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
        spec: pvSpec,
      }),
    );
  }

  private bind(claim: KubeObject, pv: KubeObject): void {
    const claimRef = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      namespace: claim.metadata.namespace,
      name: claim.metadata.name,
      uid: claim.metadata.uid,
    };
    let volume = pv;
    if (!deepClaimRef(pv, claim.metadata.uid!)) {
      const next = structuredClone(pv) as KubeObject;
      (next.spec as JsonObject).claimRef = { ...claimRef, resourceVersion: claim.metadata.resourceVersion };
      const updated = this.kit.tolerate(() => this.kit.update(PVS, next));
      if (!updated) return;
      volume = updated;
    }
    this.kit.tolerate(() => this.kit.writeStatus(PVS, volume, { phase: "Bound" }));
    const bound = structuredClone(claim) as KubeObject;
    (bound.spec as JsonObject).volumeName = pv.metadata.name;
    bound.metadata.annotations = {
      ...bound.metadata.annotations,
      "pv.kubernetes.io/bind-completed": "yes",
      "pv.kubernetes.io/bound-by-controller": "yes",
      "volume.beta.kubernetes.io/storage-provisioner": PROVISIONER,
      "volume.kubernetes.io/storage-provisioner": PROVISIONER,
    };
    const updatedClaim = this.kit.tolerate(() => this.kit.update(PVCS, bound));
    if (!updatedClaim) return;
    const pvSpec = specOf(volume);
    this.kit.tolerate(() =>
      this.kit.writeStatus(PVCS, updatedClaim, {
        phase: "Bound",
        accessModes: pvSpec.accessModes,
        capacity: pvSpec.capacity,
      }),
    );
    this.kit.event(
      updatedClaim,
      "Normal",
      "ProvisioningSucceeded",
      `Successfully provisioned volume ${pv.metadata.name}`,
    );
  }

  /** The claim is gone: its volume is deleted with its directory, or kept Released under Retain. */
  private release(claimUid: string): void {
    for (const pv of this.kit.list(PVS)) {
      if (!deepClaimRef(pv, claimUid)) continue;
      if (specOf(pv).persistentVolumeReclaimPolicy === "Delete") {
        const path = isObject(specOf(pv).hostPath)
          ? String((specOf(pv).hostPath as JsonObject).path ?? "")
          : "";
        if (path && this.root && path.startsWith(this.root)) rmSync(path, { recursive: true, force: true });
        this.kit.tolerate(() => this.kit.delete(PVS, pv));
      } else this.kit.tolerate(() => this.kit.writeStatus(PVS, pv, { phase: "Released" }));
    }
  }

  /** The host directory of a bound claim, or undefined while it is not bound. */
  volumeDirectory(namespace: string, claimName: string): string | undefined {
    const claim = this.kit.get(PVCS, namespace, claimName);
    if (!claim || statusOf(claim).phase !== "Bound") return undefined;
    const pv = this.kit.get(PVS, undefined, String(specOf(claim).volumeName ?? ""));
    if (!pv || !deepClaimRef(pv, claim.metadata.uid!)) return undefined;
    const hostPath = specOf(pv).hostPath;
    return isObject(hostPath) && typeof hostPath.path === "string" ? hostPath.path : undefined;
  }

  override stop(): void {
    super.stop();
    if (this.ownRoot && this.root) rmSync(this.root, { recursive: true, force: true });
  }
}

function deepClaimRef(pv: KubeObject, claimUid: string): boolean {
  const ref = specOf(pv).claimRef;
  return isObject(ref) && ref.uid === claimUid;
}
