import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { API_VERSION, KIND, parseWebApp, type WebApp } from "../../api/index.js";
import { render } from "../../render/index.js";
import { parseYamlStream, toYamlStream } from "../../util/yaml.js";
import { type Command, type CommandIO, UsageError } from "../command.js";
import { parseFlags } from "../flags.js";
import { readInput } from "../read-input.js";

const help = `Usage: webapp-operator render -f FILE [-f FILE...] [-n NAMESPACE] [-o yaml|json]

Prints the Kubernetes objects the operator creates for each WebApp in the input: exactly what the
operator applies (ownerReferences are added once the WebApp has a uid). Advice about valid but
unwise settings is printed on stderr.

Options:
  -f, --filename FILE     a YAML or JSON file with one or more WebApps (several documents, or a
                          kind: List), a directory (its .yaml, .yml and .json files), or - for
                          standard input; repeatable
  -n, --namespace NS      namespace for WebApps that name none (default: "default")
  -o, --output FORMAT     yaml (multi-document, the default) or json (a v1 List)
  -h, --help              show this help

Exit status: 0 on success, 1 when a WebApp is invalid (every error is listed with its field path).
Documents of other kinds are skipped with a note on stderr.

Example:
  webapp-operator render -f examples/ | kubectl apply --dry-run=server -f -`;

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The files a -f names: the file itself, or a directory's manifests in name order. */
async function expand(path: string): Promise<string[]> {
  if (path === "-") return [path];
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  if (names.length === 0) throw new UsageError(`${path} holds no .yaml, .yml or .json file`);
  return names.map((n) => join(path, n));
}

/** Every document of a file, with `kind: List` (and *List) items taken out of their list. */
async function documents(path: string, io: CommandIO): Promise<unknown[]> {
  let docs: unknown[];
  try {
    docs = parseYamlStream(await readInput(path, io));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${path} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  return docs.flatMap((doc) => {
    const d = doc as { kind?: unknown; items?: unknown };
    return typeof d?.kind === "string" && d.kind.endsWith("List") && Array.isArray(d.items) ? d.items : [doc];
  });
}

/** Why a document is not a WebApp this command renders, naming the field; undefined when it is one. */
function notAWebApp(doc: unknown): { skip: string } | { error: string } | undefined {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { error: "(the document): must be an object with apiVersion, kind, metadata and spec" };
  }
  const d = doc as { apiVersion?: unknown; kind?: unknown };
  if (d.kind !== KIND) return { skip: `kind ${String(d.kind)}` };
  if (d.apiVersion !== API_VERSION) {
    return {
      error: `apiVersion: must be ${API_VERSION} for kind ${KIND}, not ${JSON.stringify(d.apiVersion ?? null)}`,
    };
  }
  return undefined;
}

export const renderCommand: Command = {
  name: "render",
  summary: "print the objects the operator would create for WebApp manifests",
  help,
  async run(args, io) {
    const flags = parseFlags("render", args, {
      filename: { short: "f", multiple: true },
      namespace: { short: "n" },
      output: { short: "o" },
    });
    const files = flags.list("filename");
    if (files.length === 0) throw new UsageError("render needs -f FILE (or -f - for standard input)");
    const output = flags.oneOf("output", ["yaml", "json"], "yaml");
    const defaultNamespace = flags.string("namespace", "default");
    if (!NAMESPACE.test(defaultNamespace) || defaultNamespace.length > 63) {
      throw new UsageError(
        `--namespace: "${defaultNamespace}" is not a valid namespace name (a lowercase RFC 1123 label)`,
      );
    }

    const webapps: WebApp[] = [];
    let failed = false;
    for (const file of (await Promise.all(files.map(expand))).flat()) {
      const docs = await documents(file, io);
      docs.forEach((doc, index) => {
        const where = `${file}: document ${index + 1}`;
        const problem = notAWebApp(doc);
        if (problem && "skip" in problem) {
          io.stderr.write(`note: ${where} is not a ${API_VERSION} ${KIND} (${problem.skip}); skipped\n`);
          return;
        }
        const head = doc as { metadata?: { name?: unknown; namespace?: unknown } };
        const name = typeof head.metadata?.name === "string" ? head.metadata.name : undefined;
        const label = name ? `WebApp ${name}` : `the WebApp of ${where}`;
        if (problem) {
          failed = true;
          io.stderr.write(`error: ${file}: ${label} is invalid:\n  ${problem.error}\n`);
          return;
        }
        if (name === undefined) {
          failed = true;
          io.stderr.write(`error: ${where}: metadata.name: Required value (a WebApp needs a name)\n`);
          return;
        }
        const parsed = parseWebApp({
          ...(doc as object),
          metadata: { namespace: defaultNamespace, ...(head.metadata ?? {}) },
        });
        if (!parsed.ok) {
          failed = true;
          io.stderr.write(`error: ${file}: ${label} is invalid:\n`);
          for (const e of parsed.errors) io.stderr.write(`  ${e.path}: ${e.message}\n`);
          return;
        }
        webapps.push(parsed.webapp);
      });
    }
    if (failed) return 1;
    if (webapps.length === 0) throw new UsageError(`${files.join(", ")} holds no ${KIND}`);

    const objects = [];
    for (const webapp of webapps) {
      const result = render(webapp);
      for (const w of result.warnings) io.stderr.write(`warning: WebApp ${webapp.metadata.name}: ${w}\n`);
      objects.push(...result.objects);
    }
    io.stdout.write(
      output === "json"
        ? `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`
        : toYamlStream(objects),
    );
    return 0;
  },
};
