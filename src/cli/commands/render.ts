import { API_VERSION, KIND, parseWebApp, type WebApp } from "../../api/index.js";
import { render } from "../../render/index.js";
import { parseYamlStream, toYamlStream } from "../../util/yaml.js";
import { parseFlags } from "../args.js";
import { type Command, UsageError } from "../command.js";
import { readInput } from "../read-input.js";

const help = `Usage: webapp-operator render -f FILE [-n NAMESPACE]

Prints the Kubernetes objects the operator creates for each WebApp in FILE, as multi-document
YAML: exactly what the operator applies (ownerReferences are added once the WebApp has a uid).
Advice about valid but unwise settings is printed on stderr.

Options:
  -f, --filename FILE     YAML file with one or more WebApps; - reads standard input
  -n, --namespace NS      namespace for WebApps that name none (default: "default")
  -h, --help              show this help

Exit status: 0 on success, 1 when a WebApp is invalid (every error is listed with its field path).
Documents of other kinds in FILE are skipped with a note on stderr.

Example:
  webapp-operator render -f examples/flask-app.yaml | kubectl apply --dry-run=server -f -`;

export const renderCommand: Command = {
  name: "render",
  summary: "print the objects the operator would create for a WebApp manifest",
  help,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      filename: { type: "string", short: "f" },
      namespace: { type: "string", short: "n" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (use -f FILE)`);
    const file = values.filename;
    if (!file) throw new UsageError("render needs -f FILE (or -f - for standard input)");

    let docs: unknown[];
    try {
      docs = parseYamlStream(await readInput(file, io));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }

    const webapps: WebApp[] = [];
    let failed = false;
    docs.forEach((doc, index) => {
      const head = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
      if (head?.kind !== KIND || head?.apiVersion !== API_VERSION) {
        io.stderr.write(
          `note: ${file}: document ${index + 1} is not a ${API_VERSION} ${KIND} (kind ${String(head?.kind)}); skipped\n`,
        );
        return;
      }
      const withNamespace = {
        ...head,
        metadata: { namespace: values.namespace ?? "default", ...(head.metadata ?? {}) },
      };
      const parsed = parseWebApp(withNamespace);
      const label = `WebApp ${typeof head.metadata?.name === "string" ? head.metadata.name : `#${index + 1}`}`;
      if (!parsed.ok) {
        failed = true;
        io.stderr.write(`error: ${file}: ${label} is invalid:\n`);
        for (const e of parsed.errors) io.stderr.write(`  ${e.path}: ${e.message}\n`);
        return;
      }
      webapps.push(parsed.webapp);
    });
    if (failed) return 1;
    if (webapps.length === 0) throw new UsageError(`${file} holds no ${KIND}`);

    const objects = [];
    for (const webapp of webapps) {
      const result = render(webapp);
      for (const w of result.warnings) io.stderr.write(`warning: WebApp ${webapp.metadata.name}: ${w}\n`);
      objects.push(...result.objects);
    }
    io.stdout.write(toYamlStream(objects));
    return 0;
  },
};

/** For messages elsewhere: the errors of a WebApp in one line. */
