import type { Command } from "../command.js";
import { parseFlags } from "../flags.js";
import { VERSION } from "../version.js";

export const versionCommand: Command = {
  name: "version",
  summary: "print the operator's version (also --version)",
  help: `Usage: webapp-operator version

Prints the version of webapp-operator and of the Node.js running it.`,
  async run(args, io) {
    parseFlags("version", args, {});
    io.stdout.write(`webapp-operator ${VERSION} (node ${process.version})\n`);
    return 0;
  },
};
