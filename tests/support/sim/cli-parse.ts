/**
 * A port of the cobra + spf13/pflag argument handling talosctl inherits, over the command tree of
 * cli-commands.ts: command lookup (`Find`/`stripFlags`), interspersed flags, `--flag=value` /
 * `--flag value` / `-fvalue` / `-f=value` / grouped bool shorthands, StringSlice comma splitting,
 * bool/duration validation, deprecated-flag notices, positional-argument rules, and the exact
 * error texts ("unknown flag: --x", "unknown shorthand flag: 'x' in -x",
 * "flag needs an argument: --x", `invalid argument "v" for "-m, --mode" flag: ...`,
 * "accepts 1 arg(s), received 0", `unknown command "x" for "talosctl"` with cobra's suggestions).
 */
import type { CmdSpec, FlagSpec, FlagValue, ParseOutcome } from "./cli";
import { goQuote, parseGoBool, parseGoDuration } from "./gofmt";

interface Resolved {
    spec: CmdSpec;
    path: string[];
    /** Flags visible on this command: its own plus inherited persistent ones. */
    flags: FlagSpec[];
}

const helpFlag = (path: string[]): FlagSpec => ({ name: "help", type: "bool", def: false, short: "h", usage: `help for ${path[path.length - 1] ?? "talosctl"}` });

function visibleFlags(chain: CmdSpec[], path: string[]): FlagSpec[] {
    const own = chain[chain.length - 1]!.flags ?? [];
    const persistent = chain.flatMap((c) => c.persistent ?? []);
    return [...own, ...persistent, helpFlag(path)];
}

function lookupLong(flags: FlagSpec[], name: string): FlagSpec | undefined {
    return flags.find((f) => f.name === name);
}

function lookupShort(flags: FlagSpec[], short: string): FlagSpec | undefined {
    return flags.find((f) => f.short === short);
}

/** cobra's stripFlags: the non-flag words of args, skipping values of flags that take one. */
function stripFlags(args: string[], flags: FlagSpec[]): string[] {
    const commands: string[] = [];
    const rest = [...args];
    while (rest.length > 0) {
        const a = rest.shift()!;
        if (a === "--") break;
        const takesValueLong = a.startsWith("--") && !a.includes("=") && lookupLong(flags, a.slice(2))?.type !== "bool";
        const takesValueShort = !a.startsWith("--") && a.startsWith("-") && !a.includes("=") && a.length === 2 && lookupShort(flags, a.slice(1))?.type !== "bool";
        if (takesValueLong || takesValueShort) {
            if (rest.length <= 1) break;
            rest.shift();
            continue;
        }
        if (a !== "" && !a.startsWith("-")) commands.push(a);
    }
    return commands;
}

/** cobra's argsMinusFirstX. */
function argsMinusFirstX(args: string[], x: string, flags: FlagSpec[]): string[] {
    for (let pos = 0; pos < args.length; pos++) {
        const a = args[pos]!;
        if (a === "--") break;
        if (a.startsWith("--") && !a.includes("=") && lookupLong(flags, a.slice(2))?.type !== "bool") {
            pos++;
            continue;
        }
        if (!a.startsWith("--") && a.startsWith("-") && !a.includes("=") && a.length === 2 && lookupShort(flags, a.slice(1))?.type !== "bool") {
            pos++;
            continue;
        }
        if (!a.startsWith("-") && a === x) return [...args.slice(0, pos), ...args.slice(pos + 1)];
    }
    return args;
}

function levenshtein(a: string, b2: string): number {
    const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b2.length).fill(0)]);
    for (let j = 1; j <= b2.length; j++) dp[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b2.length; j++)
            dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b2[j - 1] ? 0 : 1));
    return dp[a.length]![b2.length]!;
}

function suggestions(spec: CmdSpec, typed: string): string {
    const found = (spec.children ?? [])
        .map((c) => c.name)
        .filter((n) => levenshtein(typed.toLowerCase(), n.toLowerCase()) <= 2 || n.toLowerCase().startsWith(typed.toLowerCase()));
    if (found.length === 0) return "";
    return `\n\nDid you mean this?\n${found.map((n) => `\t${n}\n`).join("")}`;
}

function find(root: CmdSpec, argv: string[]): { resolved: Resolved; args: string[]; legacyError?: string } {
    let chain = [root];
    let path: string[] = [];
    let args = argv;
    for (;;) {
        const cur = chain[chain.length - 1]!;
        const flags = visibleFlags(chain, path);
        const words = stripFlags(args, flags);
        const next = words[0];
        const child = next === undefined ? undefined : (cur.children ?? []).find((c) => c.name === next || (c.aliases ?? []).includes(next));
        if (!child || next === undefined) {
            const resolved = { spec: cur, path, flags };
            // cobra legacyArgs: only applies to commands without an Args validator.
            if ((cur.args === undefined || cur.args.kind === "legacy") && cur.children && cur.children.length > 0 && chain.length === 1 && words.length > 0) {
                return { resolved, args, legacyError: `unknown command ${goQuote(words[0]!)} for ${goQuote(["talosctl", ...path].join(" "))}${suggestions(cur, words[0]!)}` };
            }
            return { resolved, args };
        }
        args = argsMinusFirstX(args, next, flags);
        chain = [...chain, child];
        path = [...path, child.name];
    }
}

function defaultOf(f: FlagSpec): FlagValue {
    if (f.def !== undefined) return Array.isArray(f.def) ? [...f.def] : f.def;
    return f.type === "bool" ? false : f.type === "strings" || f.type === "stringArray" ? [] : "";
}

/** A usage text in cobra's layout (flag descriptions abbreviated). */
export function usageText(spec: CmdSpec, path: string[], flags: FlagSpec[]): string {
    const use = ["talosctl", ...path.slice(0, -1), spec.use ?? spec.name].join(" ");
    const lines: string[] = ["Usage:"];
    if (spec.runnable) lines.push(`  ${path.length === 0 ? "talosctl" : use} [flags]`);
    if (spec.children && spec.children.length > 0) lines.push(`  ${["talosctl", ...path].join(" ")} [command]`);
    if (spec.aliases && spec.aliases.length > 0) lines.push("", "Aliases:", `  ${[spec.name, ...spec.aliases].join(", ")}`);
    if (spec.children && spec.children.length > 0) {
        lines.push("", "Available Commands:");
        const w = Math.max(...spec.children.map((c) => c.name.length));
        for (const c of spec.children) lines.push(`  ${c.name.padEnd(w)}`);
    }
    const shown = flags.filter((f) => !f.hidden && !f.deprecated);
    const own = new Set([...(spec.flags ?? []), ...(spec.persistent ?? [])].map((f) => f.name).concat("help"));
    const section = (title: string, list: FlagSpec[]) => {
        if (list.length === 0) return;
        lines.push("", title);
        const sorted = [...list].sort((a, c) => a.name.localeCompare(c.name));
        const left = sorted.map((f) => {
            const typ = f.type === "bool" ? "" : ` ${f.type === "strings" ? "strings" : f.type === "stringArray" ? "stringArray" : f.type === "duration" ? "duration" : "string"}`;
            return `${f.short ? `  -${f.short}, ` : "      "}--${f.name}${typ}`;
        });
        const w = Math.max(...left.map((l) => l.length));
        sorted.forEach((f, i) => {
            const def =
                f.type === "bool" ? (f.def === true ? " (default true)" : "") : f.type === "duration" ? ` (default ${String(f.def)})` : typeof f.def === "string" && f.def !== "" ? ` (default "${f.def}")` : "";
            lines.push(`${left[i]!.padEnd(w)}   ${f.usage ?? ""}${def}`.trimEnd());
        });
    };
    section("Flags:", shown.filter((f) => own.has(f.name)));
    section("Global Flags:", shown.filter((f) => !own.has(f.name)));
    if (spec.children && spec.children.length > 0) lines.push("", `Use "${["talosctl", ...path].join(" ")} [command] --help" for more information about a command.`);
    return lines.join("\n") + "\n";
}

export function helpText(spec: CmdSpec, path: string[], flags: FlagSpec[]): string {
    return usageText(spec, path, flags);
}

/** Parse argv (without the program name) against the tree. */
export function parseCommandLine(root: CmdSpec, argv: string[]): ParseOutcome {
    if (argv.length === 0) return { kind: "help", text: helpText(root, [], visibleFlags([root], [])) };
    const { resolved, args, legacyError } = find(root, argv);
    const usage = usageText(resolved.spec, resolved.path, resolved.flags);
    if (legacyError) return { kind: "error", message: legacyError, usage };

    const values: Record<string, FlagValue> = {};
    const changed = new Set<string>();
    const notices: string[] = [];
    for (const f of resolved.flags) values[f.name] = defaultOf(f);
    const positional: string[] = [];

    const set = (f: FlagSpec, value: string, display: string): string | undefined => {
        try {
            if (f.type === "bool") values[f.name] = parseGoBool(value);
            else if (f.type === "duration") {
                parseGoDuration(value);
                values[f.name] = value;
            } else if (f.type === "strings") {
                const parts = value === "" ? [] : value.split(",");
                values[f.name] = changed.has(f.name) ? [...(values[f.name] as string[]), ...parts] : parts;
            } else if (f.type === "stringArray") {
                values[f.name] = changed.has(f.name) ? [...(values[f.name] as string[]), value] : [value];
            } else values[f.name] = value;
        } catch (e) {
            return `invalid argument ${goQuote(value)} for ${goQuote(display)} flag: ${(e as Error).message}`;
        }
        changed.add(f.name);
        if (f.deprecated) notices.push(`Flag --${f.name} has been deprecated, ${f.deprecated}`);
        return undefined;
    };
    const displayName = (f: FlagSpec) => (f.short ? `-${f.short}, --${f.name}` : `--${f.name}`);

    let i = 0;
    while (i < args.length) {
        const a = args[i]!;
        i++;
        if (a === "--") {
            positional.push(...args.slice(i));
            break;
        }
        if (a.length < 2 || !a.startsWith("-")) {
            positional.push(a);
            continue;
        }
        if (a.startsWith("--")) {
            const body = a.slice(2);
            if (body === "" || body.startsWith("-") || body.startsWith("=")) return { kind: "error", message: `bad flag syntax: ${a}`, usage };
            const eq = body.indexOf("=");
            const name = eq >= 0 ? body.slice(0, eq) : body;
            const f = lookupLong(resolved.flags, name);
            if (!f) return { kind: "error", message: `unknown flag: --${name}`, usage };
            let value: string;
            if (eq >= 0) value = body.slice(eq + 1);
            else if (f.type === "bool") value = "true";
            else if (i < args.length) value = args[i++]!;
            else return { kind: "error", message: `flag needs an argument: ${a}`, usage };
            const err = set(f, value, displayName(f));
            if (err) return { kind: "error", message: err, usage };
            continue;
        }
        // shorthand group
        let shorts = a.slice(1);
        while (shorts.length > 0) {
            const c = shorts[0]!;
            const f = lookupShort(resolved.flags, c);
            if (!f) return { kind: "error", message: `unknown shorthand flag: '${c}' in -${shorts}`, usage };
            let value: string;
            if (shorts.length > 2 && shorts[1] === "=") {
                value = shorts.slice(2);
                shorts = "";
            } else if (f.type === "bool") {
                value = "true";
                shorts = shorts.slice(1);
            } else if (shorts.length > 1) {
                value = shorts.slice(1);
                shorts = "";
            } else if (i < args.length) {
                value = args[i++]!;
                shorts = "";
            } else return { kind: "error", message: `flag needs an argument: '${c}' in -${c}`, usage };
            const err = set(f, value, displayName(f));
            if (err) return { kind: "error", message: err, usage };
        }
    }

    if (values["help"] === true) return { kind: "help", text: helpText(resolved.spec, resolved.path, resolved.flags) };
    if (!resolved.spec.runnable) return { kind: "help", text: helpText(resolved.spec, resolved.path, resolved.flags) };

    const rule = resolved.spec.args ?? { kind: "legacy" };
    const cmdPath = ["talosctl", ...resolved.path].join(" ");
    const n = positional.length;
    let argErr: string | undefined;
    if (rule.kind === "none" && n > 0) argErr = `unknown command ${goQuote(positional[0]!)} for ${goQuote(cmdPath)}`;
    if (rule.kind === "exact" && n !== rule.n) argErr = `accepts ${rule.n} arg(s), received ${n}`;
    if (rule.kind === "range" && (n < rule.min || n > rule.max)) argErr = `accepts between ${rule.min} and ${rule.max} arg(s), received ${n}`;
    if (rule.kind === "max" && n > rule.n) argErr = `accepts at most ${rule.n} arg(s), received ${n}`;
    if (argErr) return { kind: "error", message: argErr, usage };

    return { kind: "run", cmd: { path: resolved.path, spec: resolved.spec, flags: values, changed, args: positional, notices } };
}
