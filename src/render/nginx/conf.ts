/*
 * A tiny model of nginx.conf: directives and blocks, serialized with a strict token check.
 *
 * Every argument is checked when the text is produced. A plain argument may not contain whitespace,
 * quotes, `;`, `{`, `}`, `#` or a backslash, so no value can end a directive, open a block or start
 * a comment, whatever validation happened before. Text with spaces that the renderer itself writes
 * (a log format, a regex) goes through `literal()`, which is for constants in this code only.
 */

export type Arg = string | number | Literal;

export class Literal {
  constructor(readonly text: string) {}
}

/** A fixed string written by the renderer (never user input), emitted in single quotes. */
export function literal(text: string): Literal {
  if (/['\\\n\r]/.test(text))
    throw new UnsafeNginxValue(text, "a literal may not contain quotes, backslashes or newlines");
  return new Literal(text);
}

export interface Directive {
  kind: "directive";
  name: string;
  args: Arg[];
}

export interface Block {
  kind: "block";
  name: string;
  args: Arg[];
  children: Node[];
}

/** A line of a `map` or `geo` block: a key and a value, both checked as arguments. */
export interface Entry {
  kind: "entry";
  key: Arg;
  value: Arg;
}

export type Node = Directive | Block | Entry | { kind: "comment"; text: string };

export function entry(key: Arg, value: Arg): Entry {
  return { kind: "entry", key, value };
}

export function d(name: string, ...args: Arg[]): Directive {
  return { kind: "directive", name, args };
}

export function block(name: string, args: Arg[], children: (Node | false | undefined)[]): Block {
  return {
    kind: "block",
    name,
    args,
    children: children.filter((c): c is Node => c !== false && c !== undefined),
  };
}

export function comment(text: string): Node {
  if (/[\n\r]/.test(text)) throw new UnsafeNginxValue(text, "a comment is one line");
  return { kind: "comment", text };
}

export class UnsafeNginxValue extends Error {
  constructor(value: string, rule: string) {
    super(`refusing to write ${JSON.stringify(value)} into nginx.conf: ${rule}`);
    this.name = "UnsafeNginxValue";
  }
}

const NAME = /^[a-z_][a-z0-9_]*$/;
const PLAIN_ARG = /^[^\s'"`;{}#\\]+$/;

function arg(value: Arg): string {
  if (value instanceof Literal) return `'${value.text}'`;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new UnsafeNginxValue(String(value), "numbers are whole and not negative");
    return String(value);
  }
  if (!PLAIN_ARG.test(value)) {
    throw new UnsafeNginxValue(
      value,
      "arguments may not contain whitespace, quotes, ';', '{', '}', '#' or '\\'",
    );
  }
  return value;
}

function name(value: string): string {
  if (!NAME.test(value)) throw new UnsafeNginxValue(value, "directive names are lowercase words");
  return value;
}

export function serialize(nodes: Node[], indent = ""): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "comment") {
      out += `${indent}# ${node.text}\n`;
      continue;
    }
    if (node.kind === "entry") {
      out += `${indent}${arg(node.key)} ${arg(node.value)};\n`;
      continue;
    }
    const head = [name(node.name), ...node.args.map(arg)].join(" ");
    if (node.kind === "directive") {
      out += `${indent}${head};\n`;
    } else {
      out += `${indent}${head} {\n${serialize(node.children, `${indent}    `)}${indent}}\n`;
    }
  }
  return out;
}
