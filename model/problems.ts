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

function describe(value: unknown): string {
    if (typeof value === "string") return value === "" ? '""' : value;
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** Accumulates problems; `add` returns false so checks can be written as guards. */
export class Problems {
    readonly list: ConfigProblem[] = [];

    add(path: string, value: unknown, message: string): false {
        this.list.push({ path, value, message });
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
