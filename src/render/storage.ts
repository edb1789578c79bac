import type { IVolume } from "kubernetes-models/v1/Volume";
import type { ResolvedMedia, ResolvedStatic } from "../api/defaults.js";
import type { WebApp } from "../api/index.js";
import { childMeta, childNames } from "./names.js";
import { persistentVolumeClaim } from "./workload.js";

/** The claims the operator creates. A media claim kept on deletion gets no ownerReference. */
export function renderClaims(
  webapp: WebApp,
  st: ResolvedStatic | undefined,
  media: ResolvedMedia | undefined,
): object[] {
  const names = childNames(webapp.metadata.name);
  const out: object[] = [];
  const staticClaim = st?.persistentVolumeClaim;
  if (staticClaim?.size !== undefined) {
    out.push(
      persistentVolumeClaim(childMeta(webapp, names.staticClaim, "static"), {
        size: staticClaim.size,
        accessMode: "ReadWriteMany",
        ...(staticClaim.storageClassName ? { storageClassName: staticClaim.storageClassName } : {}),
      }),
    );
  }
  if (media?.size !== undefined) {
    out.push(
      persistentVolumeClaim(childMeta(webapp, names.mediaClaim, "media", !media.keepOnDelete), {
        size: media.size,
        accessMode: media.accessMode,
        ...(media.storageClassName ? { storageClassName: media.storageClassName } : {}),
      }),
    );
  }
  return out;
}

export function mediaClaimName(webapp: WebApp, media: ResolvedMedia): string {
  return media.claimName ?? childNames(webapp.metadata.name).mediaClaim;
}

export function mediaVolume(webapp: WebApp, media: ResolvedMedia, readOnly = false): IVolume {
  return {
    name: "media",
    persistentVolumeClaim: {
      claimName: mediaClaimName(webapp, media),
      ...(readOnly ? { readOnly: true } : {}),
    },
  };
}

/** The web pod's static volume: an emptyDir the init container fills, or a claim mounted read-only. */
export function staticVolume(webapp: WebApp, st: ResolvedStatic): IVolume {
  const claim = st.persistentVolumeClaim;
  if (!claim) return { name: "static", emptyDir: {} };
  const claimName = claim.claimName ?? childNames(webapp.metadata.name).staticClaim;
  return { name: "static", persistentVolumeClaim: { claimName, readOnly: true } };
}
