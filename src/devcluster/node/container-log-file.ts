/**
 * A container's stdout and stderr, as the container runtime keeps them: one file per container instance
 * (`<container>/<restartCount>.log`), each line in the CRI log format `<RFC 3339 nano time> <stream> <F|P>
 * <text>`, so `kubectl logs` can add timestamps, tail and filter by time.
 *
 * The process writes into two named pipes (FIFOs), not Node's socket pairs: programs that open
 * /dev/stdout themselves (NGINX's `access_log /dev/stdout`) cannot open a socket, as in a container
 * they open a pipe.
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  createWriteStream,
  fchownSync,
  openSync,
  rmSync,
  type WriteStream,
} from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";

/** Nanosecond RFC 3339 time as the CRI log format writes it. */
export function criTimestamp(ms = Date.now(), nanoExtra = 0): string {
  const iso = new Date(ms).toISOString(); // ...T12:34:56.789Z
  const nanos = String(nanoExtra).padStart(6, "0").slice(0, 6);
  return `${iso.slice(0, 23)}${nanos}Z`;
}

/** Lines longer than this are split into partial (P) records, as the runtime does with its 16 KiB buffer. */
const MAX_LINE = 16 * 1024;

export interface ContainerOutput {
  /** Descriptors to hand to the process as stdout and stderr; close them after spawning (closeChildEnds). */
  readonly stdoutFd: number;
  readonly stderrFd: number;
  closeChildEnds(): void;
  /** Resolves once both pipes reached end of file (every writer, workers included, is gone) and the file is flushed. */
  readonly drained: Promise<void>;
  /** Stops reading at once (the cluster is stopping). */
  destroy(): void;
}

/**
 * Opens the log file and the two pipes. `owner` is the user the process will run as: the pipes are
 * handed to it as runc hands a container its stdio, so that it may reopen /dev/stdout itself.
 */
export function openContainerOutput(
  logFile: string,
  pipeDir: string,
  owner?: { uid: number; gid: number },
): ContainerOutput {
  const file: WriteStream = createWriteStream(logFile, { flags: "a" });
  let sequence = 0;
  const pipes = (["stdout", "stderr"] as const).map((stream) => {
    const fifo = join(pipeDir, `${stream}.pipe`);
    rmSync(fifo, { force: true });
    execFileSync("mkfifo", ["-m", "0600", fifo]);
    // The read end first, non-blocking, so opening the write end does not wait for a reader.
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(fifo, constants.O_WRONLY);
    if (owner) fchownSync(writeFd, owner.uid, owner.gid);
    rmSync(fifo, { force: true }); // both ends are open; the name is no longer needed
    const socket = new Socket({ fd: readFd, readable: true, writable: false });
    let pending = "";
    const emit = (text: string, tag: "F" | "P") => {
      file.write(`${criTimestamp(Date.now(), sequence++ % 1_000_000)} ${stream} ${tag} ${text}\n`);
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        emit(pending.slice(0, nl), "F");
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
      while (pending.length > MAX_LINE) {
        emit(pending.slice(0, MAX_LINE), "P");
        pending = pending.slice(MAX_LINE);
      }
    });
    const ended = new Promise<void>((resolve) => {
      socket.on("close", () => {
        if (pending) emit(pending, "F");
        pending = "";
        resolve();
      });
      socket.on("error", () => resolve());
    });
    return { socket, writeFd, ended, closed: false };
  });
  const [out, err] = pipes as [(typeof pipes)[0], (typeof pipes)[0]];
  const drained = Promise.all(pipes.map((p) => p.ended)).then(
    () => new Promise<void>((resolve) => file.end(() => resolve())),
  );
  const closeChildEnds = () => {
    for (const p of pipes) {
      if (p.closed) continue;
      p.closed = true;
      closeSync(p.writeFd);
    }
  };
  return {
    stdoutFd: out.writeFd,
    stderrFd: err.writeFd,
    closeChildEnds,
    drained,
    destroy() {
      closeChildEnds();
      for (const p of pipes) p.socket.destroy();
    },
  };
}

export interface LogRecord {
  time: string;
  stream: "stdout" | "stderr";
  /** The text, with the newline the process wrote when the record ends a line. */
  text: string;
}

/** Parses CRI log text into records, joining partial lines. A torn last line is left for the next read. */
export function parseCriLog(text: string): { records: LogRecord[]; rest: string } {
  const records: LogRecord[] = [];
  let partial: LogRecord | undefined;
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) break;
    const line = text.slice(start, nl);
    start = nl + 1;
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
    if (!m) continue;
    const [, time, stream, tag, body] = m as unknown as [string, string, "stdout" | "stderr", string, string];
    const piece = tag === "F" ? `${body}\n` : body;
    if (partial) partial.text += piece;
    else partial = { time, stream, text: piece };
    if (tag === "F") {
      records.push(partial);
      partial = undefined;
    }
  }
  return { records, rest: text.slice(start) };
}
