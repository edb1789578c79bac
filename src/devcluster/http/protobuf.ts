/**
 * Decoding of the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that kubectl's and Helm's typed
 * clients send: `kubectl create deployment|service|secret|job|cronjob|ingress|pdb|quota|role|...`,
 * `kubectl auth can-i` reviews, and the DeleteOptions of `helm uninstall`. Answers are always JSON (both
 * tools accept it).
 *
 * Schema-driven: the field numbers come from protobuf-fields.ts, every field's type (string, integer,
 * boolean, list, map, nested message) from the kind's upstream OpenAPI definition. The result is what the
 * real server's Go decoder then JSON encoder would make of the body: zero scalars of non-pointer fields
 * mean "unset" and are left out (e.g. the empty `type` of `kubectl create secret`, then defaulted to
 * Opaque), unset times and int-or-strings too. No maintained npm package ships a codec generated from the
 * upstream .proto files, which is why the decoder is this small walker rather than generated code.
 */
import { ApiError, unsupportedMediaType } from "../errors.js";
import { refOf, upstreamDefinitions } from "../schemas/upstream/definitions.js";
import { isObject, type JsonObject } from "../types.js";
import { FIELD_NUMBERS } from "./protobuf-fields.js";

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
export const DELETE_OPTIONS = `${META}.DeleteOptions`;

interface FieldSpec {
  name: string;
  /** A Go pointer: zero values were set on purpose. */
  pointer: boolean;
  /** Map values are bytes. */
  bytes: boolean;
  /** An embedded struct whose fields are the enclosing object's (the named message's field numbers). */
  inline?: string;
}

type Wire = { field: number; wire: number; value: bigint | Uint8Array };

/** The varint at `at`: its value and where the next field starts. */
function varintAt(buf: Uint8Array, at: number): [value: bigint, next: number] {
  let result = 0n;
  let shift = 0n;
  let i = at;
  for (;;) {
    const b = buf[i++];
    if (b === undefined) throw new Error("truncated varint");
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, i];
    shift += 7n;
  }
}

function* fields(buf: Uint8Array): Generator<Wire> {
  let i = 0;
  while (i < buf.length) {
    const [key, afterKey] = varintAt(buf, i);
    i = afterKey;
    const wire = Number(key & 7n);
    const field = Number(key >> 3n);
    if (wire === 0) {
      const [value, next] = varintAt(buf, i);
      i = next;
      yield { field, wire, value };
    } else if (wire === 2) {
      const [length, start] = varintAt(buf, i);
      const end = start + Number(length);
      if (end > buf.length) throw new Error("truncated length-delimited field");
      yield { field, wire, value: buf.subarray(start, end) };
      i = end;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** A packed repeated field: a run of varints. */
function* packedVarints(buf: Uint8Array): Generator<Wire> {
  let i = 0;
  while (i < buf.length) {
    const [value, next] = varintAt(buf, i);
    i = next;
    yield { field: 0, wire: 0, value };
  }
}

/** Whether a message holds nothing but zero values (an unset non-pointer struct such as an empty status). */
function allZero(buf: Uint8Array): boolean {
  try {
    for (const f of fields(buf)) {
      if (typeof f.value === "bigint" ? f.value !== 0n : f.value.length > 0 && !allZero(f.value))
        return false;
    }
    return true;
  } catch {
    return false;
  }
}

const tables = new Map<string, Map<number, FieldSpec>>();

function tableOf(message: string): Map<number, FieldSpec> | undefined {
  const cached = tables.get(message);
  if (cached) return cached;
  const text = FIELD_NUMBERS[message];
  if (text === undefined) return undefined;
  const pkg = message.slice(0, message.lastIndexOf("."));
  const table = new Map<number, FieldSpec>();
  for (const entry of text.split(",")) {
    const m = /^\s*(\d+) (=)?(\w+)(\*)?(:bytes)?\s*$/.exec(entry);
    if (!m) throw new Error(`protobuf field table of ${message}: cannot read ${JSON.stringify(entry)}`);
    const spec: FieldSpec = { name: m[3]!, pointer: m[4] === "*", bytes: m[5] === ":bytes" };
    if (m[2]) spec.inline = `${pkg}.${m[3]}`;
    table.set(Number(m[1]), spec);
  }
  tables.set(message, table);
  return table;
}

const text = (v: bigint | Uint8Array) =>
  v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v);
const bytesOf = (v: bigint | Uint8Array) => (v instanceof Uint8Array ? v : new Uint8Array());
const int = (v: bigint | Uint8Array) => (typeof v === "bigint" ? Number(BigInt.asIntN(64, v)) : 0);

function timeValue(buf: Uint8Array, micro: boolean): string | undefined {
  let seconds = 0;
  let nanos = 0;
  for (const f of fields(buf)) {
    if (f.field === 1) seconds = int(f.value);
    if (f.field === 2) nanos = int(f.value);
  }
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${iso}Z`;
}

function intOrString(buf: Uint8Array): number | string | undefined {
  let type = 0;
  let intVal = 0;
  let strVal = "";
  for (const f of fields(buf)) {
    if (f.field === 1) type = int(f.value);
    if (f.field === 2) intVal = int(f.value);
    if (f.field === 3) strVal = text(f.value);
  }
  return type === 1 ? strVal : intVal;
}

/** Values of the apimachinery types whose JSON is not an object. */
function specialValue(ref: string, buf: Uint8Array, pointer: boolean): { value: unknown } | undefined {
  switch (ref) {
    case `${META}.Time`:
      return { value: timeValue(buf, false) };
    case `${META}.MicroTime`:
      return { value: timeValue(buf, true) };
    case `${META}.FieldsV1`:
      return { value: undefined };
    case "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
      const v = intOrString(buf);
      return { value: pointer || (v !== 0 && v !== "") ? v : undefined };
    }
    case "io.k8s.apimachinery.pkg.api.resource.Quantity": {
      let s = "";
      for (const f of fields(buf)) if (f.field === 1) s = text(f.value);
      return { value: s || undefined };
    }
    case "io.k8s.apimachinery.pkg.runtime.RawExtension": {
      let raw: Uint8Array = new Uint8Array();
      for (const f of fields(buf)) if (f.field === 1) raw = bytesOf(f.value);
      return { value: raw.length ? JSON.parse(Buffer.from(raw).toString("utf8")) : undefined };
    }
  }
  return undefined;
}

function notSupported(message: string): ApiError {
  return unsupportedMediaType(
    `application/vnd.kubernetes.protobuf (${message} cannot be decoded from protobuf here: send it as application/json)`,
    ["application/json", "application/yaml"],
  );
}

/** One scalar or message value of a field, by its schema; undefined when it means "unset". */
function fieldValue(schema: JsonObject, wire: Wire, spec: FieldSpec, bytes: boolean): unknown {
  const ref = refOf(schema);
  if (ref) {
    const buf = bytesOf(wire.value);
    const special = specialValue(ref, buf, spec.pointer);
    if (special) return special.value;
    const definition = upstreamDefinitions.definition(ref);
    if (!tableOf(ref) || !definition) {
      if (allZero(buf)) return undefined;
      throw notSupported(ref);
    }
    return decodeMessage(ref, definition, buf);
  }
  switch (schema.type) {
    case "string": {
      if (bytes) return Buffer.from(bytesOf(wire.value)).toString("base64");
      const s = text(wire.value);
      return s === "" && !spec.pointer ? undefined : s;
    }
    case "integer": {
      const n = int(wire.value);
      return n === 0 && !spec.pointer ? undefined : n;
    }
    case "boolean": {
      const b = wire.value !== 0n;
      return !b && !spec.pointer ? undefined : b;
    }
  }
  return undefined;
}

/** Decodes one message of `definition` (whose schema types its fields) into `out`. */
function decodeInto(out: JsonObject, message: string, definition: JsonObject, buf: Uint8Array): void {
  const table = tableOf(message);
  if (!table) throw notSupported(message);
  const properties = (isObject(definition.properties) ? definition.properties : {}) as Record<
    string,
    JsonObject
  >;
  for (const wire of fields(buf)) {
    const spec = table.get(wire.field);
    if (!spec) continue;
    if (spec.inline) {
      decodeInto(out, spec.inline, definition, bytesOf(wire.value));
      continue;
    }
    const schema = properties[spec.name];
    if (!schema) continue;
    if (schema.type === "array" && isObject(schema.items)) {
      const list = (out[spec.name] as unknown[] | undefined) ?? [];
      const items = schema.items;
      const packed = wire.wire === 2 && (items.type === "integer" || items.type === "boolean");
      if (packed)
        for (const v of packedVarints(bytesOf(wire.value))) list.push(fieldValue(items, v, ITEM, false));
      else list.push(fieldValue(items, wire, ITEM, false) ?? (items.type === "string" ? "" : {}));
      out[spec.name] = list;
      continue;
    }
    if (schema.type === "object" && isObject(schema.additionalProperties)) {
      const map = (out[spec.name] as JsonObject | undefined) ?? {};
      let key = "";
      let value: unknown = spec.bytes ? "" : undefined;
      for (const e of fields(bytesOf(wire.value))) {
        if (e.field === 1) key = text(e.value);
        if (e.field === 2) value = fieldValue(schema.additionalProperties, e, ITEM, spec.bytes);
      }
      map[key] = value ?? "";
      out[spec.name] = map;
      continue;
    }
    const value = fieldValue(schema, wire, spec, false);
    if (value !== undefined) out[spec.name] = value;
  }
}

/** List items and map values are kept even when zero (an empty string in a list is still an item). */
const ITEM: FieldSpec = { name: "", pointer: true, bytes: false };

function decodeMessage(message: string, definition: JsonObject, buf: Uint8Array): JsonObject {
  const out: JsonObject = {};
  decodeInto(out, message, definition, buf);
  return out;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** The envelope: type meta and the raw message. */
function unwrap(body: Buffer, contentType: string): { apiVersion: string; kind: string; raw: Uint8Array } {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b))
    throw unsupportedMediaType(contentType, ["application/json", "application/yaml"]);
  let apiVersion = "";
  let kind = "";
  let raw: Uint8Array = new Uint8Array();
  for (const f of fields(body.subarray(4))) {
    if (f.field === 1)
      for (const t of fields(bytesOf(f.value))) {
        if (t.field === 1) apiVersion = text(t.value);
        if (t.field === 2) kind = text(t.value);
      }
    if (f.field === 2) raw = bytesOf(f.value);
  }
  return { apiVersion, kind, raw };
}

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobufObject(body: Buffer, contentType: string): JsonObject {
  const { apiVersion, kind, raw } = unwrap(body, contentType);
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const name = upstreamDefinitions.kindDefinition({ group: group!, version: version!, kind });
  const definition = name && upstreamDefinitions.definition(name);
  if (!name || !definition || !tableOf(name)) throw notSupported(kind || "an object of unknown kind");
  try {
    return { apiVersion, kind, ...decodeMessage(name, definition, raw) };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(400, "BadRequest", `error decoding ${kind} from protobuf: ${(e as Error).message}`);
  }
}

/** Decodes a protobuf body of an apimachinery type named by its definition (DeleteOptions). */
export function decodeProtobufMessage(body: Buffer, contentType: string, name: string): JsonObject {
  const { raw } = unwrap(body, contentType);
  const definition = upstreamDefinitions.definition(name);
  if (!definition) throw notSupported(name);
  return decodeMessage(name, definition, raw);
}
