import { readFile } from "node:fs/promises";
import type { CommandIO } from "./command.js";
import { UsageError } from "./command.js";

/** Reads a file, or standard input for `-`. A missing file is a usage error, not a crash. */
export async function readInput(path: string, io: CommandIO): Promise<string> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${path}: ${code === "ENOENT" ? "no such file" : ((err as Error).message ?? code)}`,
    );
  }
}
