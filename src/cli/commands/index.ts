import type { Command } from "../command.js";
import { crdCommand } from "./crd.js";
import { renderCommand } from "./render.js";

/** Every subcommand, in the order `--help` lists them. */
export const commands: Command[] = [renderCommand, crdCommand];
