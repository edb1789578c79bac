import type { IVolume } from "kubernetes-models/v1/Volume";
import type { ResolvedMedia, ResolvedStatic } from "../api/resolve.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { mib, STATIC_COPY_MIB } from "./ephemeral-storage.js";
import { persistentVolumeClaim } from "./workload.js";

/** The claims the operator creates. A media claim kept on deletion gets no ownerReference. */
export function renderClaims(ctx: RenderContext): Child[] {
  const { static: st, media } = ctx.spec;
  const out: Child[] = [];
  const staticClaim = st?.persistentVolumeClaim;
  if (staticClaim?.size !== undefined) {
    out.push(
      ctx.child(
        "static-claim",
        persistentVolumeClaim(ctx.meta("static-claim"), {
          size: staticClaim.size,
          accessMode: "ReadWriteMany",
          ...(staticClaim.storageClassName ? { storageClassName: staticClaim.storageClassName } : {}),
        }),
      ),
    );
  }
  if (media?.size !== undefined) {
    out.push(
      ctx.child(
        "media-claim",
        persistentVolumeClaim(ctx.meta("media-claim", { owned: !media.keepOnDelete }), {
          size: media.size,
          accessMode: media.accessMode,
          ...(media.storageClassName ? { storageClassName: media.storageClassName } : {}),
        }),
      ),
    );
  }
  return out;
}

export function mediaVolume(ctx: RenderContext, media: ResolvedMedia, readOnly = false): IVolume {
  return {
    name: "media",
    persistentVolumeClaim: {
      claimName: media.claimName ?? ctx.childName("media-claim"),
      ...(readOnly ? { readOnly: true } : {}),
    },
  };
}

/** The web pod's static volume: an emptyDir the init container fills, or a claim mounted read-only. */
export function staticVolume(ctx: RenderContext, st: ResolvedStatic): IVolume {
  const claim = st.persistentVolumeClaim;
  if (!claim) return { name: "static", emptyDir: { sizeLimit: mib(STATIC_COPY_MIB) } };
  const claimName = claim.claimName ?? ctx.childName("static-claim");
  return { name: "static", persistentVolumeClaim: { claimName, readOnly: true } };
}
