import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./command.js";

/** node:util parseArgs with errors turned into short usage messages instead of stack traces. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify.*$/s, ""));
  }
}
