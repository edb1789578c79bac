import type { Command } from "../command.js";
import { crdCommand } from "./crd.js";
import { demoCommand } from "./demo.js";
import { devApiserverCommand } from "./dev-apiserver.js";
import { renderCommand } from "./render.js";
import { runCommand } from "./run.js";
import { versionCommand } from "./version.js";

/** Every subcommand, in the order `--help` lists them. */
export const commands: Command[] = [
  runCommand,
  demoCommand,
  renderCommand,
  crdCommand,
  devApiserverCommand,
  versionCommand,
];
