/**
 * Collecting and reporting configuration problems. Every check adds to one list so that a user
 * sees all problems of a stack file in a single run, each naming the dotted key, the value found
 * there and what to do about it.
 */

/** One configuration problem: where, what value, and what is wrong with it. */
export interface ConfigProblem {
    /** Dotted config path, e.g. `platform:nodes[1].ip`. */
    path: string;
    /** Human-readable description, including what to do. */
    message: string;
    /** The value found at `path` (undefined when the key is missing). */
    value?: unknown;
}

/** Stands in for a value that must never be printed (one set with `--secret`, or a credential). */
export class Withheld {
    constructor(readonly label: string) {}
}

/** A value set as a secret: shown as `[secret]`. */
export const SECRET = new Withheld("[secret]");
/** A credential found in plain text: shown as `[redacted]`. */
export const REDACTED = new Withheld("[redacted]");

/** Thrown when a stack's configuration is invalid; its message lists every problem. */
export class ConfigError extends Error {
    constructor(
        public readonly stackName: string,
        public readonly problems: readonly ConfigProblem[],
    ) {
        super(
            `Invalid configuration for stack "${stackName}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Renders a problem as `path = value: message`, or `path: message` when the key is missing. */
export function formatProblem(p: ConfigProblem): string {
    return p.value === undefined ? `${p.path}: ${p.message}` : `${p.path} = ${describe(p.value)}: ${p.message}`;
}

/** Strings are quoted (so "1" and 1 differ), withheld values show their label, the rest is JSON. */
function describe(value: unknown): string {
    if (value instanceof Withheld) return value.label;
    const json = JSON.stringify(value) ?? String(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * Masks the user-info part of every URL in `text` (`https://user:token@host` → `https://***@host`).
 * An SSH user name alone (`ssh://git@host`) is not a credential and is kept.
 */
export function maskUrlCredentials(text: string): string {
    return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"]+)@/gi, (whole, scheme: string, userinfo: string) =>
        scheme.toLowerCase() === "ssh://" && !userinfo.includes(":") ? whole : `${scheme}***@`,
    );
}

/** True if `url` carries credentials in its user-info part (any user-info, except an SSH user name). */
export function hasUrlCredentials(url: string): boolean {
    return maskUrlCredentials(url) !== url;
}

function maskDeep(value: unknown): unknown {
    if (typeof value === "string") return maskUrlCredentials(value);
    if (Array.isArray(value)) return value.map(maskDeep);
    if (value !== null && typeof value === "object" && !(value instanceof Withheld)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
    }
    return value;
}

/**
 * Accumulates problems; `add` returns false so checks can be written as guards. Credentials
 * inside URLs are masked on the way in, so no message can print them.
 */
export class Problems {
    readonly list: ConfigProblem[] = [];

    add(path: string, value: unknown, message: string): false {
        this.list.push({ path, value: maskDeep(value), message: maskUrlCredentials(message) });
        return false;
    }

    get empty(): boolean {
        return this.list.length === 0;
    }
}

/** Formats a key path such as ["nodes", 1, "ip"] as `platform:nodes[1].ip`. */
export function keyPath(namespace: string, segments: readonly PropertyKey[]): string {
    let out = namespace;
    segments.forEach((s, i) => {
        if (typeof s === "number") out += `[${s}]`;
        else out += i === 0 ? `:${String(s)}` : `.${String(s)}`;
    });
    return out;
}

/**
 * The candidate closest to `word` (case-insensitive optimal-string-alignment distance: one
 * insertion, deletion, substitution or swap of neighbours each), if it is close enough to be a
 * typo: at most 1 edit for words up to 4 characters, 2 beyond, and no other candidate as close.
 * For "did you mean ...?" hints.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    const limit = word.length <= 4 ? 1 : 2;
    const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(word.toLowerCase(), candidate.toLowerCase()) }));
    const best = Math.min(...scored.map((s) => s.distance));
    const winners = scored.filter((s) => s.distance === best);
    // A tie (infra-09 against infra-01, infra-02, ...) suggests nothing rather than a guess.
    return best <= limit && winners.length === 1 ? winners[0].candidate : undefined;
}

function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}
