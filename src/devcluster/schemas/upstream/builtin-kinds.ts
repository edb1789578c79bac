/**
 * What the upstream definitions give every built-in kind, whichever file registers it: unknown fields
 * dropped and reported, as the real server's decoder does.
 */
import type { ResourceType } from "../../storage/resource-type.js";
import { upstreamDefinitions } from "./definitions.js";
import { KnownFields } from "./known-fields.js";

const knownFields = new KnownFields(upstreamDefinitions);

/** Gives a built-in kind its upstream schema's field checks (read on first use). */
export function withUpstreamSchema(rt: ResourceType): ResourceType {
  if (rt.crdName || rt.dropUnknownFields) return rt;
  rt.dropUnknownFields = (obj) => {
    const definition = upstreamDefinitions.kindDefinition(rt);
    return definition ? knownFields.drop(obj, definition) : [];
  };
  return rt;
}
