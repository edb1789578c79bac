/** Kubeconfig files pointing at a dev cluster, one user per file. */
import * as yaml from "js-yaml";
import { tokenFor, USER_PATH_PREFIX } from "./authn.js";

export function kubeconfigYaml(url: string, user: string): string {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "devcluster",
        // client-node refuses plain HTTP unless TLS verification is (vacuously) off.
        cluster: {
          server: `${url}${USER_PATH_PREFIX}${encodeURIComponent(user)}`,
          "insecure-skip-tls-verify": true,
        },
      },
    ],
    users: [{ name: user, user: { token: tokenFor(user) } }],
    contexts: [
      { name: `${user}@devcluster`, context: { cluster: "devcluster", user, namespace: "default" } },
    ],
    "current-context": `${user}@devcluster`,
    preferences: {},
  };
  return yaml.dump(doc);
}
