/** A server-side table column of a built-in kind (computed cells, so no JSON path). */
import type { PrinterColumn } from "../storage/resource-type.js";

export const col = (name: string, description = "", type = "string", priority = 0): PrinterColumn => ({
  name,
  type,
  format: name === "Name" ? "name" : "",
  description,
  priority,
  jsonPath: "",
});
