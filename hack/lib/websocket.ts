// A minimal WebSocket client (Node 20 has none built in): one handshake, one text message,
// one reply. Enough to prove that a proxy passes an Upgrade through to the app server, e.g.
// to the Flask sample's /ws/echo.
import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";

const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface WebSocketRoundTripOptions {
  port: number;
  host?: string;
  path?: string;
  /** Extra request headers, e.g. Host. */
  headers?: Record<string, string>;
  message: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface WebSocketRoundTripResult {
  /** Status of the handshake response; 101 when the upgrade went through. */
  status: number;
  /** Handshake response headers, names lower-cased. */
  headers: Record<string, string>;
  /** Whether Sec-WebSocket-Accept matches the key sent (RFC 6455 section 4.2.2). */
  acceptValid: boolean;
  /** The payload of the first data frame the server sent back; undefined when there was no upgrade. */
  reply?: string;
}

export function websocketRoundTrip(options: WebSocketRoundTripOptions): Promise<WebSocketRoundTripResult> {
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/";
  const key = randomBytes(16).toString("base64");
  const expectedAccept = createHash("sha1")
    .update(key + ACCEPT_GUID)
    .digest("base64");
  const extra = Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`);
  const hasHost = Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === "host");
  const handshake =
    `GET ${path} HTTP/1.1\r\n` +
    (hasHost ? "" : `Host: ${host}:${options.port}\r\n`) +
    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
    `${extra.join("")}\r\n`;

  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: options.port });
    let buffered = Buffer.alloc(0);
    let handshakeDone: Omit<WebSocketRoundTripResult, "reply"> | undefined;
    const finish = (result: WebSocketRoundTripResult | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timeoutMs = options.timeoutMs ?? 10_000;
    const timer = setTimeout(
      () =>
        finish(
          new Error(`websocket round trip to ${host}:${options.port}${path} took more than ${timeoutMs} ms`),
        ),
      timeoutMs,
    );

    socket.on("connect", () => socket.write(handshake));
    socket.on("error", (err) => finish(err));
    socket.on("close", () => {
      if (handshakeDone) finish({ ...handshakeDone, reply: undefined });
      else finish(new Error(`connection to ${host}:${options.port} closed before a handshake response`));
    });
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!handshakeDone) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const [statusLine = "", ...lines] = buffered.subarray(0, end).toString("latin1").split("\r\n");
        buffered = buffered.subarray(end + 4);
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(":");
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const status = Number(statusLine.split(" ")[1]);
        handshakeDone = { status, headers, acceptValid: headers["sec-websocket-accept"] === expectedAccept };
        if (status !== 101) return finish({ ...handshakeDone, reply: undefined });
        socket.write(maskedTextFrame(options.message));
      }
      const frame = readServerFrame(buffered);
      if (frame) finish({ ...handshakeDone, reply: frame.toString("utf8") });
    });
  });
}

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  if (payload.length > 65535) throw new Error("message must be at most 65535 bytes");
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([header, mask, masked]);
}

/** The payload of the first complete unmasked frame in data, or undefined if it is not all there yet. */
function readServerFrame(data: Buffer): Buffer | undefined {
  if (data.length < 2) return undefined;
  let length = (data[1] ?? 0) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  if (data.length < offset + length) return undefined;
  return data.subarray(offset, offset + length);
}
