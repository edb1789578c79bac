import { webAppCrd } from "../../api/crd.js";
import { toYaml } from "../../util/yaml.js";
import type { Command } from "../command.js";
import { parseFlags } from "../flags.js";

export const crdCommand: Command = {
  name: "crd",
  summary: "print the WebApp CustomResourceDefinition",
  help: `Usage: webapp-operator crd

Prints the WebApp CustomResourceDefinition as YAML. Install it with
  webapp-operator crd | kubectl apply --server-side -f -
The operator never installs or changes its own CRD: that is the job of whoever installs it
(the Helm chart does, behind crds.enabled).`,
  async run(args, io) {
    parseFlags("crd", args, {});
    io.stdout.write(toYaml(webAppCrd()));
    return 0;
  },
};
