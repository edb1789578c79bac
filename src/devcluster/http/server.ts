/**
 * HTTP routing: authenticates and authorizes each request, applies injected faults, counts it, and hands it
 * to discovery, the verbs (Operations) or a watch stream, answering errors in the real `Status` shape.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import * as yaml from "js-yaml";
import { authenticate, userFromPath, userInfo } from "../auth/authn.js";
import { type AuthorizationAttributes, denialMessage, type RbacAuthorizer } from "../auth/rbac.js";
import { answerReview } from "../auth/reviews.js";
import {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  internalError,
  methodNotAllowed,
  tooManyRequests,
  unauthorized,
  unsupportedMediaType,
} from "../errors.js";
import { VIRTUAL_KINDS } from "../schemas/builtin-resources.js";
import { combine, fieldMatcher, labelMatcher } from "../schemas/selectors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import { groupVersion, type ResourceType } from "../storage/resource-type.js";
import { listJsonText } from "../storage/stored-json.js";
import type { WatchHub } from "../storage/watch.js";
import { isObject, type JsonObject, type KubeObject, parseYamlOrJson, type UserInfo } from "../types.js";
import type {
  DeleteOptions,
  FieldValidation,
  ListOptions,
  Operations,
  WriteContext,
} from "../writes/operations.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from "./discovery.js";
import type { Faults, RequestAttributes } from "./faults.js";
import {
  readBody,
  readRawBody,
  sendError,
  sendJson,
  sendJsonText,
  wantsTable,
  warningHeaders,
} from "./http-io.js";
import { duplicateFields } from "./json-duplicates.js";
import type { OpenApi } from "./openapi.js";
import { type PodLogSource, servePodLog } from "./pod-log.js";
import { DELETE_OPTIONS, decodeProtobufMessage, decodeProtobufObject } from "./protobuf.js";
import { parseRoute, type Route, verbOf } from "./routes.js";
import type { RequestStats } from "./stats.js";
import { type IncludeObject, toTable } from "./table.js";

type ResourceRoute = Extract<Route, { type: "resource" }>;

export interface ServerDeps {
  ops: Operations;
  registry: ResourceRegistry;
  watches: WatchHub;
  faults: Faults;
  stats: RequestStats;
  openapi: OpenApi;
  /** Present when RBAC is enforced. */
  authorizer?: RbacAuthorizer;
  /** Always-available authorizer for access reviews (kubectl auth can-i) even when not enforcing. */
  reviewAuthorizer: RbacAuthorizer;
  serverAddress: () => string;
  /** The node agent's logs, for pods/{name}/log (none without a node agent). */
  podLogs?: () => PodLogSource | undefined;
  /** What /version reports, "1.MINOR" (default: the version the schemas are from). */
  kubernetesVersion?: string;
}

const NOT_FOUND_MESSAGE = "the server could not find the requested resource";

function notFoundGeneric(): ApiError {
  return new ApiError(404, "NotFound", NOT_FOUND_MESSAGE, {});
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function queryFlag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === "true" || v === "1";
}

function parseIntParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}

/** The request goes on to be carried out, but its answer never leaves: the connection is reset instead. */
function dropAnswer(req: IncomingMessage, res: ServerResponse): void {
  const reset = () => {
    req.socket.destroy();
    return res;
  };
  res.writeHead = reset as unknown as typeof res.writeHead;
  res.write = (() => true) as unknown as typeof res.write;
  res.end = reset as unknown as typeof res.end;
}

export class ApiServerHandler {
  constructor(private readonly d: ServerDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.dispatch(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (e instanceof ApiError) sendError(res, e);
      else sendError(res, internalError((e as Error).message ?? String(e)));
    }
  }

  private attributes(method: string, route: Route, q: URLSearchParams, userAgent: string): RequestAttributes {
    if (route.type === "resource") {
      const a: RequestAttributes = {
        verb: verbOf(method, route, queryFlag(q, "watch")),
        resource: route.plural,
        userAgent,
      };
      if (route.subresource) a.subresource = route.subresource;
      if (route.namespace) a.namespace = route.namespace;
      if (route.name) a.name = route.name;
      else if (a.verb === "list" || a.verb === "watch") {
        // As the real server does: a list or watch of one object, selected by its name, is
        // authorized as a request for that name (so rules with resourceNames can allow it).
        const one = /^metadata\.name=([^,]+)$/.exec(q.get("fieldSelector") ?? "");
        if (one) a.name = one[1];
      }
      return a;
    }
    return { verb: method === "GET" || method === "HEAD" ? "get" : method.toLowerCase(), userAgent };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const fromPath = userFromPath(url.pathname);
    url.pathname = fromPath.path;
    const method = (req.method ?? "GET").toUpperCase();
    const route = parseRoute(url.pathname);
    const q = url.searchParams;
    const userAgent = req.headers["user-agent"] ?? "";
    const attrs = this.attributes(method, route, q, userAgent);
    this.d.stats.record({
      verb: attrs.verb,
      resource:
        route.type === "resource"
          ? route.subresource
            ? `${route.plural}/${route.subresource}`
            : route.plural
          : url.pathname,
      userAgent,
    });

    for (const fault of this.d.faults.take(attrs)) {
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      if (fault === "drop-answer") {
        dropAnswer(req, res);
        break;
      }
      if ("latencyMs" in fault) await sleep(fault.latencyMs);
      else if (fault.status === 429) throw tooManyRequests(fault.retryAfterSeconds);
      else if (fault.status === 409)
        throw conflict(
          { group: "", resource: attrs.resource ?? "" },
          attrs.name ?? "",
          "injected conflict (fault)",
        );
      else if (fault.status === 422)
        throw new ApiError(
          422,
          "Invalid",
          `${attrs.resource ?? "request"} "${attrs.name ?? ""}" is invalid: injected refusal (fault)`,
          {},
        );
      else throw internalError("injected fault");
    }

    const user = this.authenticateAndImpersonate(req, fromPath.user);
    if (route.type === "resource") {
      const rt = this.d.registry.find(route.group, route.version, route.plural);
      this.authorize({
        user,
        verb: attrs.verb,
        resourceRequest: true,
        apiGroup: route.group,
        resource: route.plural,
        subresource: route.subresource,
        name: attrs.name,
        namespace: route.namespace,
      } as AuthorizationAttributes);
      if (!rt) throw notFoundGeneric();
      await this.resource(req, res, method, route, rt, q, user, userAgent);
      return;
    }
    this.authorize({ user, verb: attrs.verb, resourceRequest: false, path: url.pathname });
    this.nonResource(req, res, method, route, url.pathname);
  }

  private authenticateAndImpersonate(req: IncomingMessage, pathUser: string | undefined): UserInfo {
    let user = authenticate(req.headers.authorization) ?? (pathUser ? userInfo(pathUser) : undefined);
    if (!user) {
      if (this.d.authorizer) throw unauthorized();
      user = userInfo("admin");
    }
    const as = req.headers["impersonate-user"];
    if (typeof as === "string" && as) {
      const groupsHeader = req.headers["impersonate-group"];
      const groups = Array.isArray(groupsHeader) ? groupsHeader : groupsHeader ? [groupsHeader] : [];
      this.authorize({
        user,
        verb: "impersonate",
        resourceRequest: true,
        apiGroup: "",
        resource: "users",
        name: as,
      });
      for (const g of groups)
        this.authorize({
          user,
          verb: "impersonate",
          resourceRequest: true,
          apiGroup: "",
          resource: "groups",
          name: g,
        });
      const impersonated = userInfo(as);
      if (groups.length) impersonated.groups = [...groups, "system:authenticated"];
      return impersonated;
    }
    return user;
  }

  private authorize(a: AuthorizationAttributes): void {
    if (!this.d.authorizer) return;
    const decision = this.d.authorizer.authorize(a);
    if (decision.allowed) return;
    if (!a.resourceRequest) throw new ApiError(403, "Forbidden", `forbidden: ${denialMessage(a)}`, {});
    throw forbidden({ group: a.apiGroup ?? "", resource: a.resource ?? "" }, a.name, denialMessage(a));
  }

  private nonResource(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    route: Route,
    path: string,
  ): void {
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed();
    if (route.type === "discoveryGroup") {
      const g = apiGroup(this.d.registry, route.group);
      if (!g) throw notFoundGeneric();
      sendJson(res, 200, g);
      return;
    }
    if (route.type === "discoveryGroupVersion") {
      const list = apiResourceList(this.d.registry, route.group, route.version);
      if (!list) throw notFoundGeneric();
      sendJson(res, 200, list);
      return;
    }
    const clean = path.replace(/\/+$/, "") || "/";
    if (clean === "/version") {
      sendJson(res, 200, versionInfo(this.d.kubernetesVersion));
      return;
    }
    if (clean === "/api") {
      sendJson(res, 200, apiVersions(this.d.serverAddress()));
      return;
    }
    if (clean === "/apis") {
      sendJson(res, 200, apiGroupList(this.d.registry));
      return;
    }
    if (clean === "/healthz" || clean === "/livez" || clean === "/readyz") {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
      return;
    }
    const doc = this.d.openapi.answer(clean, req.headers.accept);
    if (doc !== undefined) {
      sendJson(res, 200, doc);
      return;
    }
    throw notFoundGeneric();
  }

  private writeContext(
    req: IncomingMessage,
    q: URLSearchParams,
    user: UserInfo,
    userAgent: string,
  ): WriteContext {
    const dryRun = q.getAll("dryRun");
    for (const v of dryRun)
      if (v !== "All") throw badRequest(`Invalid dry run value: ${v}; only "All" is supported`);
    const fv = q.get("fieldValidation") ?? "Warn";
    if (!["Ignore", "Warn", "Strict"].includes(fv))
      throw badRequest(`fieldValidation must be one of Ignore, Warn or Strict, got ${JSON.stringify(fv)}`);
    const ctx: WriteContext = {
      user,
      dryRun: dryRun.length > 0,
      userAgent,
      fieldValidation: fv as FieldValidation,
      warnings: [],
    };
    const fm = q.get("fieldManager");
    if (fm) {
      if (fm.length > 128) throw badRequest("fieldManager must not be longer than 128 characters");
      ctx.fieldManager = fm;
    }
    void req;
    return ctx;
  }

  /**
   * A create/update body: JSON, YAML, or the protobuf kubectl's typed clients send. The duplicate fields
   * of a JSON body go to the write's context, for fieldValidation.
   */
  private async readObject(req: IncomingMessage, ctx?: WriteContext): Promise<unknown> {
    const contentType = req.headers["content-type"];
    if (contentType?.includes("protobuf")) return decodeProtobufObject(await readRawBody(req), contentType);
    const raw = await readBody(req);
    const body = this.parseBody(raw, contentType);
    if (ctx && ctx.fieldValidation !== "Ignore" && !contentType?.includes("yaml")) {
      const duplicates = duplicateFields(raw);
      if (duplicates.length) ctx.duplicateFields = duplicates;
    }
    return body;
  }

  private parseBody(raw: string, contentType: string | undefined): unknown {
    if (contentType?.includes("cbor"))
      throw unsupportedMediaType(contentType, ["application/json", "application/yaml"]);
    if (!raw.trim()) throw badRequest("the body of the request is empty");
    try {
      if (contentType?.includes("yaml")) return parseYamlOrJson(raw, yaml.load);
      return JSON.parse(raw);
    } catch (e) {
      throw badRequest(`error decoding the request body: ${(e as Error).message}`);
    }
  }

  private listOptions(q: URLSearchParams): ListOptions {
    const o: ListOptions = {};
    const ls = q.get("labelSelector");
    const fs = q.get("fieldSelector");
    const limit = parseIntParam(q, "limit");
    const cont = q.get("continue");
    if (ls) o.labelSelector = ls;
    if (fs) o.fieldSelector = fs;
    if (limit) o.limit = limit;
    if (cont) o.continue = cont;
    return o;
  }

  private async resource(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    route: ResourceRoute,
    rt: ResourceType,
    q: URLSearchParams,
    user: UserInfo,
    userAgent: string,
  ): Promise<void> {
    const { ops } = this.d;
    const ns = rt.namespaced ? route.namespace : undefined;
    if (rt.namespaced && route.namespace === undefined && route.name !== undefined) throw notFoundGeneric();
    if (!rt.namespaced && route.namespace !== undefined) throw notFoundGeneric();
    const sub = route.subresource;
    if (sub !== undefined) {
      const ok =
        (sub === "status" && rt.subresources.status) ||
        (sub === "scale" && rt.subresources.scale) ||
        (sub === "finalize" && rt.kind === "Namespace" && rt.group === "") ||
        (sub === "log" && rt.kind === "Pod" && rt.group === "" && method === "GET");
      if (!ok || route.name === undefined) throw notFoundGeneric();
    }
    const verb = verbOf(method, route, queryFlag(q, "watch"));
    if (!rt.verbs.includes(verb) && sub === undefined) throw methodNotAllowed();
    const table = wantsTable(req.headers.accept);
    const include = (q.get("includeObject") ?? "Metadata") as IncludeObject;

    if (VIRTUAL_KINDS.has(rt.kind)) {
      const body = await this.readObject(req);
      const reviewed = answerReview(rt, body, user, this.d.reviewAuthorizer);
      return sendJson(res, 201, reviewed);
    }

    switch (verb) {
      case "get": {
        if (sub === "scale") return sendJson(res, 200, ops.getScale(rt, ns, route.name!));
        if (sub === "log") return servePodLog(req, res, ops.get(rt, ns, route.name!), q, this.d.podLogs?.());
        const obj = ops.get(rt, ns, route.name!);
        if (table)
          return sendJson(
            res,
            200,
            toTable(rt, [obj], { resourceVersion: obj.metadata.resourceVersion }, include, ops.store),
          );
        return sendJson(res, 200, obj);
      }
      case "list": {
        const page = ops.list(rt, ns, this.listOptions(q));
        const meta: JsonObject = { resourceVersion: String(page.rv) };
        if (page.continue) meta.continue = page.continue;
        if (page.remainingItemCount !== undefined) meta.remainingItemCount = page.remainingItemCount;
        if (table) return sendJson(res, 200, toTable(rt, page.items, meta, include, ops.store));
        return sendJsonText(
          res,
          200,
          listJsonText({ kind: rt.listKind, apiVersion: groupVersion(rt), metadata: meta }, page.items),
        );
      }
      case "watch":
        return this.watch(res, route, rt, q, table ? include : undefined);
      case "create": {
        const ctx = this.writeContext(req, q, user, userAgent);
        const body = await this.readObject(req, ctx);
        const created = ops.create(rt, ns, body, ctx);
        return sendJson(res, 201, created, warningHeaders(ctx.warnings));
      }
      case "update": {
        const ctx = this.writeContext(req, q, user, userAgent);
        const body = await this.readObject(req, ctx);
        if (sub === "scale") return sendJson(res, 200, ops.writeScale(rt, ns, route.name!, { body }, ctx));
        if (sub === "finalize") {
          const current = ops.get(rt, ns, route.name!);
          const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
          const incoming = {
            ...current,
            metadata: {
              ...current.metadata,
              resourceVersion:
                isObject(body) && isObject(body.metadata)
                  ? (body.metadata.resourceVersion as string | undefined)
                  : undefined,
            },
            spec: { ...(isObject(current.spec) ? current.spec : {}), finalizers: spec.finalizers ?? [] },
          };
          const updated = ops.update(rt, ns, route.name!, incoming, ctx, "finalize");
          return sendJson(res, 200, updated, warningHeaders(ctx.warnings));
        }
        const updated = ops.update(rt, ns, route.name!, body, ctx, sub);
        return sendJson(res, 200, updated, warningHeaders(ctx.warnings));
      }
      case "patch": {
        const ctx = this.writeContext(req, q, user, userAgent);
        const raw = await readBody(req);
        const contentType = req.headers["content-type"] ?? "";
        if (sub === "scale")
          return sendJson(res, 200, ops.writeScale(rt, ns, route.name!, { contentType, rawBody: raw }, ctx));
        const existed = ops.tryGet(rt, ns, route.name!) !== undefined;
        const patched = ops.patch(rt, ns, route.name!, contentType, raw, ctx, sub, queryFlag(q, "force"));
        return sendJson(res, existed ? 200 : 201, patched, warningHeaders(ctx.warnings));
      }
      case "delete": {
        const ctx = this.writeContext(req, q, user, userAgent);
        const opts = await this.deleteOptions(req, q);
        const { object, deleted } = ops.delete(rt, ns, route.name!, opts, ctx);
        // A graceful deletion in progress answers 200 with the object, as the real server does.
        if (!deleted && rt.deletionGracePeriod && object.metadata.deletionGracePeriodSeconds)
          return sendJson(res, 200, object);
        if (!deleted) return sendJson(res, 202, object);
        if (rt.crdName) return sendJson(res, 200, object);
        return sendJson(res, 200, this.successStatus(rt, object));
      }
      case "deletecollection": {
        const ctx = this.writeContext(req, q, user, userAgent);
        const opts = await this.deleteOptions(req, q);
        const items = ops.deleteCollection(rt, ns, this.listOptions(q), opts, ctx);
        return sendJsonText(
          res,
          200,
          listJsonText(
            {
              kind: rt.listKind,
              apiVersion: groupVersion(rt),
              metadata: { resourceVersion: String(ops.store.currentRv()) },
            },
            items,
          ),
        );
      }
    }
  }

  private successStatus(rt: ResourceType, obj: KubeObject): JsonObject {
    const details: JsonObject = { name: obj.metadata.name, kind: rt.plural, uid: obj.metadata.uid };
    if (rt.group) details.group = rt.group;
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
  }

  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
    const raw = await readRawBody(req);
    const contentType = req.headers["content-type"];
    let body: JsonObject = {};
    if (contentType?.includes("protobuf") && raw.length > 0)
      body = decodeProtobufMessage(raw, contentType, DELETE_OPTIONS);
    else if (raw.toString("utf8").trim()) {
      const parsed = this.parseBody(raw.toString("utf8"), contentType);
      if (isObject(parsed)) body = parsed;
    }
    const opts: DeleteOptions = {};
    const policy = q.get("propagationPolicy") ?? body.propagationPolicy;
    if (policy !== undefined && policy !== null) {
      if (!["Background", "Foreground", "Orphan"].includes(String(policy)))
        throw badRequest(
          `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
        );
      opts.propagationPolicy = policy as DeleteOptions["propagationPolicy"];
    } else if (body.orphanDependents === true || q.get("orphanDependents") === "true") {
      opts.propagationPolicy = "Orphan";
    }
    const grace = q.get("gracePeriodSeconds") ?? body.gracePeriodSeconds;
    if (grace !== undefined && grace !== null && grace !== "") {
      const n = Number(grace);
      if (!Number.isInteger(n))
        throw badRequest(`invalid value for gracePeriodSeconds: ${JSON.stringify(grace)}`);
      opts.gracePeriodSeconds = n;
    }
    if (isObject(body.preconditions))
      opts.preconditions = body.preconditions as DeleteOptions["preconditions"];
    if (Array.isArray(body.dryRun) && body.dryRun.includes("All")) q.append("dryRun", "All");
    return opts;
  }

  private watch(
    res: ServerResponse,
    route: ResourceRoute,
    rt: ResourceType,
    q: URLSearchParams,
    table: IncludeObject | undefined,
  ): void {
    const rvParam = q.get("resourceVersion");
    let fromRv: number | undefined;
    if (rvParam && rvParam !== "0") {
      fromRv = Number(rvParam);
      if (!Number.isInteger(fromRv)) throw badRequest(`invalid resource version: ${JSON.stringify(rvParam)}`);
    }
    const selected = combine(
      labelMatcher(q.get("labelSelector") ?? undefined),
      fieldMatcher(q.get("fieldSelector") ?? undefined, rt.kind),
    );
    // Selectors see the object in the shape this version serves (events.k8s.io's `regarding`).
    let match = (o: KubeObject) => selected(this.d.ops.present(rt, o));
    if (route.name) {
      const byName = match;
      match = (o) => o.metadata.name === route.name && byName(o);
    }
    const sendInitialEvents = queryFlag(q, "sendInitialEvents");
    const bookmarks = queryFlag(q, "allowWatchBookmarks");
    if (sendInitialEvents && !bookmarks)
      throw badRequest("sendInitialEvents is forbidden for watch unless the allowWatchBookmarks is true");
    const w: Parameters<WatchHub["serve"]>[0] = {
      rt,
      match,
      bookmarks,
      sendInitialEvents,
      timeoutSeconds: parseIntParam(q, "timeoutSeconds") ?? 1800,
    };
    if (rt.namespaced && route.namespace) w.namespace = route.namespace;
    if (fromRv !== undefined) w.fromRv = fromRv;
    if (table) w.table = table;
    this.d.watches.serve(w, res);
  }
}
