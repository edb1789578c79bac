/** One subcommand of the `webapp-operator` CLI. */
export interface Command {
  name: string;
  /** One line for the command list in `webapp-operator --help`. */
  summary: string;
  /** Full help text printed by `webapp-operator NAME --help`. */
  help: string;
  /** Runs the command; resolves to the process exit status. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** An error whose message is meant for the user as it is: printed without a stack trace, exit status 1. */
export class UsageError extends Error {
  override name = "UsageError";
}
