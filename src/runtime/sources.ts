import type { KubeClient } from "../kube/client.js";
import type { ResourceType } from "../kube/resources.js";
import type { ListWatchSource } from "./informer.js";

/** List+watch of one kind in one namespace (or all), optionally filtered by a label selector. */
export function apiSource(
  client: KubeClient,
  type: ResourceType,
  namespace: string | undefined,
  labelSelector?: string,
): ListWatchSource {
  return {
    list: () => client.list(type, namespace, { labelSelector }),
    watch: (resourceVersion, timeoutSeconds, onEvent) =>
      client.watch(type, namespace, { resourceVersion, labelSelector, timeoutSeconds }, onEvent),
  };
}
