/**
 * Duplicate fields in a JSON request body. JSON.parse keeps the last of them silently; the real server's
 * decoder reports each (`duplicate field "spec.replicas"`) for fieldValidation to refuse or warn about,
 * so the body's text is scanned once for keys repeated within an object.
 */

type Frame =
  | { kind: "object"; path: string; keys: Set<string>; key?: string }
  | { kind: "array"; path: string; index: number };

/** The paths of repeated keys (`spec.template.spec.containers[0].name`), in document order. */
export function duplicateFields(text: string): string[] {
  const found: string[] = [];
  const stack: Frame[] = [];
  /** Where the next value goes: its path, from the innermost frame. */
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return "";
    if (top.kind === "array") return `${top.path}[${top.index}]`;
    return top.path ? `${top.path}.${top.key}` : (top.key ?? "");
  };
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.kind === "object") {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) found.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push({ kind: "object", path: childPath(), keys: new Set() });
      expectKey = true;
    } else if (c === "[") {
      stack.push({ kind: "array", path: childPath(), index: 0 });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.kind === "array") top.index++;
      else expectKey = true;
    }
  }
  return found;
}
