import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The package's version, from package.json beside src/ or dist/ (the same path from both). */
export const VERSION: string = (
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;
