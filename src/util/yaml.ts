import * as yaml from "js-yaml";

/** YAML as kubectl users expect it: block style, no anchors, no line folding, keys in given order. */
export function toYaml(doc: unknown): string {
  return yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

/** Several objects as one multi-document YAML stream, each document started by `---`. */
export function toYamlStream(docs: unknown[]): string {
  return docs.map((d) => `---\n${toYaml(d)}`).join("");
}

/** Every document of a YAML stream, skipping empty ones. Throws js-yaml's error (with line) on bad YAML. */
export function parseYamlStream(text: string): unknown[] {
  return yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
}
