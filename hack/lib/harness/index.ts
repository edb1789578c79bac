// The local data-plane harness: a rendered WebApp run as real NGINX in front of real
// Gunicorn or uWSGI processes on loopback. See topology.ts.
import { DEBIAN_TOOLS, type ToolRequirements } from "../tools.js";

export type { InfoJson } from "../apps.js";

export { type AppServerKind, type LocalAppCommand, localAppCommand } from "./local-command.js";
export { fillStaticRoot } from "./static-files.js";
export {
  type AppReplica,
  parseManifest,
  startTopology,
  type Topology,
  type TopologyOptions,
} from "./topology.js";

/** What a data-plane suite needs installed (the Debian packages `.ci/run` installs). */
export const DATA_PLANE_REQUIREMENTS: ToolRequirements = {
  executables: [DEBIAN_TOOLS.python3, DEBIAN_TOOLS.gunicorn, DEBIAN_TOOLS.uwsgi, DEBIAN_TOOLS.nginx],
  files: [DEBIAN_TOOLS.uwsgiPython3Plugin],
  pythonModules: ["flask", "django"],
};

/** A WebApp manifest around a spec, as a user would write it. */
export function webAppManifest(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "webapp-operator.dev/v1alpha1", kind: "WebApp", metadata: { name }, spec };
}
