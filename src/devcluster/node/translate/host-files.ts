/** Reading the host files a translation needs (NGINX configs and what they include), missing ones as undefined. */
import { readdirSync, readFileSync } from "node:fs";
import type { CommandTranslation } from "./command.js";

export const hostFiles: Pick<CommandTranslation, "readFile" | "listDir"> = {
  readFile: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  listDir: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};
