/**
 * The kubelet's atomic writer for configMap, secret and downwardAPI volumes: the files live in a
 * timestamped directory (`..2026_12_01_21_00_00.123456789`), `..data` is a symlink to it, and every
 * visible name is a symlink through `..data`. An update writes a new timestamped directory and swaps
 * `..data` with one rename, so a reader sees either the old set of files or the new one, never a mix.
 */
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

export interface ProjectedFile {
  /** Relative path inside the volume (may contain `/`). */
  path: string;
  content: Buffer;
  mode: number;
}

const DATA_LINK = "..data";

function timestampDirName(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const nanos = `${p(now.getUTCMilliseconds(), 3)}${p(Math.floor(Math.random() * 1e6), 6)}`;
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(
    now.getUTCMinutes(),
  )}_${p(now.getUTCSeconds())}.${nanos}`;
}

function currentTarget(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, DATA_LINK));
  } catch {
    return undefined;
  }
}

export function fingerprint(files: readonly ProjectedFile[]): string {
  return JSON.stringify(
    [...files]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((f) => [f.path, f.mode, f.content.toString("base64")]),
  );
}

/** Writes (or replaces) the volume's files atomically. */
export function writeAtomically(dir: string, files: readonly ProjectedFile[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const old = currentTarget(dir);
  const tsDir = timestampDirName();
  const tsPath = join(dir, tsDir);
  mkdirSync(tsPath, { mode: 0o755 });
  for (const f of files) {
    const target = join(tsPath, f.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, f.content, { mode: f.mode });
    chmodSync(target, f.mode);
  }
  const tmpLink = join(dir, "..data_tmp");
  rmSync(tmpLink, { force: true });
  symlinkSync(tsDir, tmpLink);
  renameSync(tmpLink, join(dir, DATA_LINK));
  // The visible names: one symlink per top-level entry, through ..data.
  const wanted = new Set(files.map((f) => f.path.split("/")[0]!));
  for (const name of wanted) {
    const link = join(dir, name);
    try {
      if (readlinkSync(link) === join(DATA_LINK, name)) continue;
    } catch {
      // not there yet
    }
    rmSync(link, { force: true, recursive: true });
    symlinkSync(join(DATA_LINK, name), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith("..")) continue;
    if (!wanted.has(name)) rmSync(join(dir, name), { force: true, recursive: true });
  }
  if (old && old !== tsDir) rmSync(join(dir, old), { recursive: true, force: true });
}
