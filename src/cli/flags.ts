import { parseDuration } from "../runtime/duration.js";
import { LOG_LEVELS, type LogLevel } from "../runtime/logger.js";
import { UsageError } from "./command.js";

/*
 * The one flag parser of every command: `--flag value`, `--flag=value`, `-f value`, boolean `--flag`
 * and `--flag=true|false`, repeatable flags, and positionals where a command takes them. Values are
 * checked by typed getters, so every command refuses a bad value the same way, naming the flag.
 */

export interface FlagSpec {
  /** A boolean flag takes no value (or =true/=false); every other flag needs one. */
  boolean?: boolean;
  short?: string;
  /** May be given more than once; read with list(). */
  multiple?: boolean;
}

export class Flags extends Map<string, string> {
  readonly lists = new Map<string, string[]>();
  readonly positionals: string[] = [];

  constructor(private readonly command: string) {
    super();
  }

  private fail(message: string): never {
    throw new UsageError(`${message} (see webapp-operator ${this.command} --help)`);
  }

  /** Every value of a repeatable flag, in order. */
  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }

  bool(name: string): boolean {
    return this.get(name) === "true";
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.get(name) ?? fallback;
  }

  int(name: string, opts: { fallback?: number; min?: number; max?: number } = {}): number | undefined {
    const raw = this.get(name);
    if (raw === undefined) return opts.fallback;
    const n = Number(raw);
    const min = opts.min ?? 0;
    if (
      !/^-?\d+$/.test(raw) ||
      !Number.isSafeInteger(n) ||
      n < min ||
      (opts.max !== undefined && n > opts.max)
    ) {
      const range = opts.max !== undefined ? ` from ${min} to ${opts.max}` : ` of at least ${min}`;
      this.fail(`--${name} must be a whole number${range}, not "${raw}"`);
    }
    return n;
  }

  durationMs(name: string, fallback: string): number {
    try {
      return parseDuration(this.get(name) ?? fallback, `--${name}`);
    } catch (err) {
      return this.fail((err as Error).message);
    }
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.get(name) ?? fallback;
    if (!(choices as readonly string[]).includes(raw)) {
      this.fail(`--${name} must be one of ${choices.join(", ")}, not "${raw}"`);
    }
    return raw as T;
  }

  logLevel(fallback: LogLevel): LogLevel {
    return this.oneOf("log-level", LOG_LEVELS, fallback);
  }
}

/** Parses a command's arguments against its flags; unknown flags and missing values are usage errors. */
export function parseFlags(
  command: string,
  args: readonly string[],
  specs: Record<string, FlagSpec>,
  opts: { positionals?: boolean } = {},
): Flags {
  const flags = new Flags(command);
  const shorts = new Map(
    Object.entries(specs)
      .filter(([, s]) => s.short)
      .map(([name, s]) => [s.short!, name]),
  );
  const help = `see webapp-operator ${command} --help`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const long = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    const short = /^-([a-zA-Z])$/.exec(arg);
    let name: string | undefined;
    let inline: string | undefined;
    if (long) {
      name = long[1];
      inline = long[2];
    } else if (short) {
      name = shorts.get(short[1] ?? "");
      if (!name) throw new UsageError(`unknown flag ${arg} (${help})`);
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown flag ${arg} (${help})`);
    } else {
      if (!opts.positionals) throw new UsageError(`unexpected argument "${arg}" (${help})`);
      flags.positionals.push(arg);
      continue;
    }
    const spec = name === undefined ? undefined : specs[name];
    if (name === undefined || spec === undefined) throw new UsageError(`unknown flag --${name} (${help})`);
    let value: string;
    if (spec.boolean) {
      value = inline ?? "true";
      if (value !== "true" && value !== "false")
        throw new UsageError(`--${name} takes true or false, not "${value}"`);
    } else {
      const next = inline ?? args[++i];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      value = next;
    }
    flags.set(name, value);
    if (spec.multiple) flags.lists.set(name, [...flags.list(name), value]);
  }
  return flags;
}
