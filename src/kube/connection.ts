import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import * as yaml from "js-yaml";

/*
 * Who the operator is to the API server, and how to reach it: a kubeconfig's current context (or the
 * in-cluster service account), read here for the common cases (a token or token file, client
 * certificates, a CA, basic auth) so the operator does not load @kubernetes/client-node (about 75 MB
 * of generated API code) to make plain JSON requests. Anything else a kubeconfig can say (exec
 * credential plugins, auth-provider, proxies) is handed to client-node, loaded only then.
 */

/** TLS settings of the connection (PEM text or buffers, as node:https takes them). */
export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** False only with insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface Connection {
  server: URL;
  tls: TlsOptions;
  /** Headers that say who we are (Authorization), read per request: token files rotate. */
  authHeaders(): Promise<Record<string, string>>;
  /** A custom agent (a proxy), when the kubeconfig asks for one. */
  agent?: unknown;
  /** For messages: where the connection came from. */
  source: string;
}

export interface ConnectionOptions {
  /** Path of a kubeconfig file; when unset, $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** Context to use instead of the file's current context. */
  context?: string;
}

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

interface NamedCluster {
  name: string;
  cluster: {
    server?: string;
    "certificate-authority"?: string;
    "certificate-authority-data"?: string;
    "insecure-skip-tls-verify"?: boolean;
    "tls-server-name"?: string;
    "proxy-url"?: string;
  };
}
interface NamedUser {
  name: string;
  user: {
    token?: string;
    tokenFile?: string;
    "client-certificate"?: string;
    "client-certificate-data"?: string;
    "client-key"?: string;
    "client-key-data"?: string;
    username?: string;
    password?: string;
    exec?: unknown;
    "auth-provider"?: unknown;
  };
}
interface NamedContext {
  name: string;
  context: { cluster?: string; user?: string; namespace?: string };
}
interface KubeconfigDoc {
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  "current-context"?: string;
}

/** The kubeconfig files of $KUBECONFIG (or ~/.kube/config) that exist, in order. */
function defaultFiles(): string[] {
  const list = process.env.KUBECONFIG
    ? process.env.KUBECONFIG.split(":").filter(Boolean)
    : [join(homedir(), ".kube", "config")];
  return list.filter((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
}

/** Several kubeconfig files merged as kubectl merges them: the first definition of a name wins. */
function merge(docs: { doc: KubeconfigDoc; dir: string }[]): {
  doc: KubeconfigDoc;
  dirs: Map<object, string>;
} {
  const out: KubeconfigDoc = { clusters: [], users: [], contexts: [] };
  const dirs = new Map<object, string>();
  for (const { doc, dir } of docs) {
    for (const key of ["clusters", "users", "contexts"] as const) {
      for (const entry of (doc[key] ?? []) as { name: string }[]) {
        const list = out[key] as { name: string }[];
        if (!list.some((e) => e.name === entry.name)) {
          list.push(entry);
          dirs.set(entry, dir);
        }
      }
    }
    out["current-context"] ??= doc["current-context"];
  }
  return { doc: out, dirs };
}

function fileOrData(data: string | undefined, file: string | undefined, dir: string): Buffer | undefined {
  if (data) return Buffer.from(data, "base64");
  if (file) return readFileSync(isAbsolute(file) ? file : join(dir, file));
  return undefined;
}

/** The connection of a kubeconfig given as text (its relative paths resolve against `dir`). */
export function connectionFromKubeconfigText(
  text: string,
  dir = process.cwd(),
  context?: string,
): Promise<Connection> {
  const doc = (yaml.load(text) ?? {}) as KubeconfigDoc;
  return fromDoc(merge([{ doc, dir }]), "the given kubeconfig", text, context);
}

async function fromDoc(
  merged: { doc: KubeconfigDoc; dirs: Map<object, string> },
  source: string,
  rawText: string | undefined,
  contextName: string | undefined,
): Promise<Connection> {
  const { doc, dirs } = merged;
  const name = contextName ?? doc["current-context"];
  const ctx = doc.contexts?.find((c) => c.name === name);
  if (contextName && !ctx) throw new Error(`context "${contextName}" not found in the kubeconfig`);
  if (!ctx) throw new Error(`no current context in ${source}: pass --kubeconfig or --context`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.context.cluster);
  if (!cluster?.cluster.server)
    throw new Error(`context "${ctx.name}" names no cluster with a server in ${source}`);
  const user = doc.users?.find((u) => u.name === ctx.context.user);
  const u = user?.user ?? {};
  const c = cluster.cluster;
  if (u.exec || u["auth-provider"] || c["proxy-url"]) {
    // Credential plugins, legacy auth providers and proxies: client-node knows them all.
    return viaClientNode(rawText, doc, ctx.name, source);
  }
  const clusterDir = dirs.get(cluster) ?? process.cwd();
  const userDir = (user && dirs.get(user)) ?? process.cwd();
  const server = new URL(c.server!);
  const tls: TlsOptions = {
    rejectUnauthorized: !c["insecure-skip-tls-verify"] && server.protocol === "https:",
    ...(c["tls-server-name"] ? { servername: c["tls-server-name"] } : {}),
  };
  const ca = fileOrData(c["certificate-authority-data"], c["certificate-authority"], clusterDir);
  if (ca) tls.ca = ca;
  const cert = fileOrData(u["client-certificate-data"], u["client-certificate"], userDir);
  const key = fileOrData(u["client-key-data"], u["client-key"], userDir);
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  const tokenFile = u.tokenFile
    ? isAbsolute(u.tokenFile)
      ? u.tokenFile
      : join(userDir, u.tokenFile)
    : undefined;
  return {
    server,
    tls,
    source,
    async authHeaders(): Promise<Record<string, string>> {
      if (u.token) return { Authorization: `Bearer ${u.token}` };
      if (tokenFile) return { Authorization: `Bearer ${readFileSync(tokenFile, "utf8").trim()}` };
      if (u.username !== undefined)
        return {
          Authorization: `Basic ${Buffer.from(`${u.username}:${u.password ?? ""}`).toString("base64")}`,
        };
      return {};
    },
  };
}

/** In a pod: the API server from the environment, the service account's token (re-read: it rotates) and CA. */
function inCluster(): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error("no cluster found: pass --kubeconfig, set KUBECONFIG, or run inside a cluster");
  }
  const server = new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`);
  return {
    server,
    tls: { ca: readFileSync(join(SERVICE_ACCOUNT, "ca.crt")), rejectUnauthorized: true },
    source: "the in-cluster service account",
    async authHeaders() {
      return { Authorization: `Bearer ${readFileSync(join(SERVICE_ACCOUNT, "token"), "utf8").trim()}` };
    },
  };
}

/**
 * The connection the way kubectl finds it: an explicit file, else $KUBECONFIG (merged), else
 * ~/.kube/config, else the in-cluster service account.
 */
export async function loadConnection(options: ConnectionOptions = {}): Promise<Connection> {
  let files: string[];
  if (options.kubeconfig) {
    try {
      readFileSync(options.kubeconfig);
    } catch (err) {
      throw new Error(`cannot load kubeconfig ${options.kubeconfig}: ${(err as Error).message}`);
    }
    files = [options.kubeconfig];
  } else {
    files = defaultFiles();
  }
  if (files.length === 0) {
    if (options.context) throw new Error(`context "${options.context}" not found: there is no kubeconfig`);
    return inCluster();
  }
  const texts = files.map((f) => readFileSync(f, "utf8"));
  const docs = texts.map((text, i) => ({
    doc: (yaml.load(text) ?? {}) as KubeconfigDoc,
    dir: dirname(files[i]!),
  }));
  return fromDoc(merge(docs), files.join(":"), files.length === 1 ? texts[0] : undefined, options.context);
}

/** A client-node KubeConfig as a Connection: what tests and the development tools build. */
export function connectionFromKubeConfig(kc: KubeConfig): Connection {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const server = new URL(cluster.server);
  let tls: TlsOptions | undefined;
  const options = async () => {
    const opts: import("node:https").RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return opts;
  };
  const conn: Connection = {
    server,
    tls: { rejectUnauthorized: server.protocol === "https:" && !cluster.skipTLSVerify },
    source: "a client-node KubeConfig",
    async authHeaders() {
      const opts = await options();
      if (!tls) {
        tls = {
          rejectUnauthorized: server.protocol === "https:" && !cluster.skipTLSVerify,
          ...(opts.ca ? { ca: opts.ca as string | Buffer } : {}),
          ...(opts.cert ? { cert: opts.cert as string | Buffer } : {}),
          ...(opts.key ? { key: opts.key as string | Buffer } : {}),
          ...(opts.servername ? { servername: opts.servername } : {}),
        };
        conn.tls = tls;
        if (cluster.proxyUrl && opts.agent) conn.agent = opts.agent;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
      }
      if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
      return headers;
    },
  };
  return conn;
}

async function viaClientNode(
  text: string | undefined,
  doc: KubeconfigDoc,
  context: string,
  source: string,
): Promise<Connection> {
  const { KubeConfig: ClientNodeKubeConfig } = await import("@kubernetes/client-node");
  const kc = new ClientNodeKubeConfig();
  kc.loadFromString(text ?? yaml.dump(doc));
  kc.setCurrentContext(context);
  const conn = connectionFromKubeConfig(kc);
  conn.source = `${source} (through @kubernetes/client-node)`;
  await conn.authHeaders(); // fills in the TLS settings
  return conn;
}
