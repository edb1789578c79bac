import { type FieldError, parseWebApp, type WebApp } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import { type RenderInputs, type RenderResult, render } from "../render/index.js";

/**
 * Validation and rendering, done once per WebApp spec: a WebApp is reconciled several times while its
 * children converge (each child event, the periodic resync), and its spec (so its render, which is
 * pure) changes only with its generation and its inputs from the cluster (the app Service's address,
 * what the cluster's version offers).
 * The rendered objects keep their identity between reconciles, which also lets the comparison with the live children be remembered (diff.ts).
 */
/** A valid spec's children, or what is wrong with the spec. */
export type Rendering =
  | {
      ok: true;
      /** The validated WebApp and the cluster's inputs it was rendered with (the version gate renders it again). */
      webapp: WebApp;
      inputs: RenderInputs;
      rendered: RenderResult;
      /** Some children are left out for now (the web tier, until the app Service has an address): prune nothing. */
      partial?: boolean;
    }
  | { ok: false; errors: FieldError[] };

export class RenderCache {
  /** Per WebApp: its spec generation, the validation of that spec, and its last render. */
  private readonly entries = new Map<
    string,
    {
      generation: string;
      parsed: ReturnType<typeof parseWebApp>;
      rendered?: { inputs: string; result: Rendering };
    }
  >();

  /**
   * The WebApps kept, most recently reconciled: the ones converging now, whose reconciles come
   * seconds apart. A converged WebApp is reconciled again at the next resync (minutes later) and is
   * rendered anew then (about a millisecond), so holding a render for every WebApp would buy little
   * for its memory (at a thousand WebApps, about 5 MB more peak RSS).
   */
  constructor(private readonly limit = 256) {}

  of(raw: KubeObject, inputs: RenderInputs = {}): Rendering {
    const key = raw.metadata.uid ?? `${raw.metadata.namespace}/${raw.metadata.name}`;
    // The generation moves with every spec change; an object without one (never, for a CRD with a
    // status subresource) falls back to its resourceVersion.
    const generation = String(raw.metadata.generation ?? `rv:${raw.metadata.resourceVersion}`);
    const inputsKey = `${inputs.appServiceClusterIP ?? ""}|${inputs.lifecycleSleepAction ?? ""}`;
    let entry = this.entries.get(key);
    if (entry?.generation !== generation) {
      // Status is ours and may hold fields an older schema lacks: only the user's part is validated.
      const parsed = parseWebApp({
        apiVersion: raw.apiVersion,
        kind: raw.kind,
        metadata: raw.metadata,
        spec: raw.spec,
      });
      entry = { generation, parsed };
    }
    this.entries.delete(key);
    this.entries.set(key, entry); // most recently used last
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    if (entry.rendered?.inputs === inputsKey) return entry.rendered.result;
    const { parsed } = entry;
    const result: Rendering = parsed.ok
      ? { ok: true, webapp: parsed.webapp, inputs, rendered: render(parsed.webapp, inputs) }
      : { ok: false, errors: parsed.errors };
    entry.rendered = { inputs: inputsKey, result };
    return result;
  }
}
