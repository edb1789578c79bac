/**
 * The kubelet's `$(VAR)` expansion in command, args and env values: `$(NAME)` becomes the variable's value
 * when it is defined and stays as written when it is not; `$$` is an escaped `$`, so `$$(NAME)` stays
 * `$(NAME)`. Nothing else is special (no `${NAME}`, no shell).
 */
export function expandVariables(input: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== "$" || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
      continue;
    }
    out += c;
  }
  return out;
}
