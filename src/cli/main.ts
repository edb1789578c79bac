import type { Command, CommandIO } from "./command.js";
import { UsageError } from "./command.js";
import { commands } from "./commands/index.js";
import { versionCommand } from "./commands/version.js";

function topLevelHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "webapp-operator: runs Python web apps on Kubernetes the classic production way,",
    "NGINX in front of Gunicorn or uWSGI, from one WebApp resource.",
    "",
    "Usage: webapp-operator <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `webapp-operator <command> --help` for a command's options.",
    "",
  ].join("\n");
}

export async function main(argv: string[], io: CommandIO = process): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(topLevelHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version") return versionCommand.run([], io);
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`error: unknown command "${name}"\n\n${topLevelHelp()}`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
