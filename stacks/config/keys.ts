import type { z } from "zod";
import { closest, keyPath, SECRET, type Problems } from "../../model";
import { salvage, type PlatformParts } from "./parts";
import { PlatformKeys, type PlatformInput } from "./schema";

/**
 * The raw stack config's keys against the schema: namespaces and top-level keys (with "did you
 * mean" hints), then each `platform:` key through its zod schema, translated into problems that
 * say what to do. A value set with `--secret` is never printed, whatever is wrong with it.
 */

/** The project's config namespace (`name` in Pulumi.yaml). */
export const NAMESPACE = "platform";
/** The 1Password provider's keys this program reads (Connect only). */
export const ONEPASSWORD_KEYS = ["url", "token"] as const;

/** Stack config as the Pulumi runtime hands it over: flat `namespace:key` → string (JSON for objects). */
export interface RawConfig {
    values: Record<string, string>;
    /** Keys whose values are secrets (`secure:` in the stack file). */
    secretKeys: readonly string[];
}

const KNOWN = Object.keys(PlatformKeys) as (keyof typeof PlatformKeys)[];

/** The `platform:` keys: those that parsed whole, and what parsed of every key (none set as a secret). */
export interface ParsedKeys {
    input: Partial<PlatformInput>;
    parts: PlatformParts;
}

/** Parses every `platform:` key, adding a problem for each field that does not parse. */
export function parsePlatformKeys(raw: RawConfig, problems: Problems): ParsedKeys {
    const isSecret = (fullKey: string) => raw.secretKeys.includes(fullKey);
    const shown = (fullKey: string, value: unknown) => (isSecret(fullKey) ? SECRET : value);
    checkKeyNames(raw, problems, shown);

    const out: Record<string, unknown> = {};
    const parts: Record<string, unknown> = {};
    for (const key of KNOWN) {
        const fullKey = `${NAMESPACE}:${key}`;
        const text = raw.values[fullKey];
        let value: unknown;
        if (text !== undefined) {
            // Structured stack config reaches programs as JSON text; every platform key is structured.
            value = parseJson(text);
            if (value === null || typeof value !== "object") {
                problems.add(fullKey, shown(fullKey, text), "must be a YAML mapping or list, not a plain value; see the README, Stack configuration");
                continue;
            }
        }
        const schema: z.ZodType = PlatformKeys[key];
        const result = schema.safeParse(value, { reportInput: true, error: defaultMessage });
        if (isSecret(fullKey)) {
            // Its content is a secret: not even the names inside it are printed, and no check reads it.
            if (!result.success) {
                const n = result.error.issues.length;
                problems.add(fullKey, SECRET, `is also not valid (${n} problem${n === 1 ? "" : "s"}, not shown because the value is a secret); set it in plain text to see them`);
            }
            continue;
        }
        if (result.success) {
            out[key] = parts[key] = result.data;
            continue;
        }
        for (const issue of result.error.issues) addIssue(problems, schema, key, value, issue);
        const salvaged = salvage(schema, value);
        if (salvaged !== undefined) parts[key] = salvaged;
    }
    return { input: out as Partial<PlatformInput>, parts: parts as PlatformParts };
}

/** Unknown or misspelled keys and namespaces, and platform keys set as secrets. */
function checkKeyNames(raw: RawConfig, problems: Problems, shown: (fullKey: string, value: unknown) => unknown): void {
    for (const fullKey of Object.keys(raw.values).sort()) {
        const [ns, key] = splitKey(fullKey);
        const value = () => shown(fullKey, parseJson(raw.values[fullKey]));
        if (ns === NAMESPACE) {
            if (!(KNOWN as string[]).includes(key)) {
                const guess = closest(key, KNOWN);
                problems.add(
                    fullKey,
                    value(),
                    guess ? `is not a known key; did you mean ${NAMESPACE}:${guess}?` : `is not a known key; known keys: ${KNOWN.map((k) => `${NAMESPACE}:${k}`).join(", ")}`,
                );
            }
            if (raw.secretKeys.includes(fullKey)) refuseSecret(fullKey, problems);
        } else if (ns === "onepassword") {
            if (key === "url" && raw.secretKeys.includes(fullKey)) {
                refuseSecret(fullKey, problems, "its value is written in plain text into the cluster (cluster-settings ONEPASSWORD_CONNECT_HOST, the ClusterSecretStore); set it again without --secret: pulumi config set onepassword:url <Connect URL>");
            }
            if (!(ONEPASSWORD_KEYS as readonly string[]).includes(key)) {
                const guess = closest(key, ONEPASSWORD_KEYS);
                problems.add(
                    fullKey,
                    value(),
                    `is not read by this program, which talks to 1Password Connect with onepassword:url and onepassword:token only; ${guess ? `did you mean onepassword:${guess}?` : "remove it"}`,
                );
            }
        } else {
            // Other namespaces belong to Pulumi or to providers; only a near miss of ours is reported.
            const guess = closest(ns, [NAMESPACE, "onepassword"]);
            if (guess) problems.add(fullKey, value(), `is in namespace "${ns}", which this program does not read; did you mean ${guess}:${key}?`);
        }
    }
}

/**
 * A key that holds no credentials, set with `--secret`: refused, so that no value hidden in the
 * stack file is written in plain text elsewhere; `more` says where it would be and what to do.
 */
function refuseSecret(fullKey: string, problems: Problems, more?: string): void {
    problems.add(fullKey, SECRET, `must not be a secret: this key holds no credentials (secrets come from 1Password or onepassword:token)${more ? `, and ${more}` : ""}`);
}

/** One zod issue as a problem on the `platform:` path it names. */
function addIssue(problems: Problems, schema: z.ZodType, key: string, value: unknown, issue: z.core.$ZodIssue): void {
    if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(schema, issue.path);
        for (const k of issue.keys) {
            const guess = closest(k, known);
            const where = keyPath(NAMESPACE, [key, ...issue.path]);
            problems.add(
                keyPath(NAMESPACE, [key, ...issue.path, k]),
                lookup(value, [...issue.path, k]),
                guess ? `is not a known key here; did you mean ${where}.${guess}?` : `is not a known key here; known keys: ${known.join(", ")} (see the README, Stack configuration)`,
            );
        }
        return;
    }
    const path = keyPath(NAMESPACE, [key, ...issue.path]);
    if (issue.code === "invalid_key") {
        problems.add(path, undefined, issue.issues[0]?.message ?? issue.message);
        return;
    }
    const found = lookup(value, issue.path);
    if (found === undefined) problems.add(path, undefined, "is required; see the README, Stack configuration");
    else problems.add(path, found, issue.message);
}

/** Messages for issues whose schema sets none: what was expected, what was found, what to do. */
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
    if (issue.code === "invalid_type") {
        const got = kindOf(issue.input);
        const names: Record<string, string> = { int: "a whole number", number: "a number", string: "a string", boolean: "true or false", object: "a mapping", record: "a mapping", array: "a list" };
        const expected = names[issue.expected] ?? issue.expected;
        const numericString = typeof issue.input === "string" && /^-?\d+(\.\d+)?$/.test(issue.input);
        const boolString = typeof issue.input === "string" && /^(true|false)$/.test(issue.input);
        const hint =
            (issue.expected === "int" || issue.expected === "number") && numericString
                ? ": write it without quotes"
                : issue.expected === "boolean" && boolString
                  ? ": write it without quotes"
                  : issue.expected === "string" && (typeof issue.input === "number" || typeof issue.input === "boolean")
                    ? ": put it in quotes"
                    : "";
        return `must be ${expected}, not ${got}${hint}`;
    }
    if (issue.code === "invalid_value") return `must be one of ${issue.values.map((v) => String(v)).join(", ")}`;
    if (issue.code === "too_small" && issue.origin === "array") return `must list at least ${String(issue.minimum)}`;
    return undefined;
}

function kindOf(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "a mapping";
    if (typeof v === "number") return Number.isInteger(v) ? "a whole number" : "a number";
    return `a ${typeof v}`;
}

/** The keys an object schema at `path` (inside defaults, optionals, lists and records) accepts. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let cur: unknown = schema;
    const unwrap = () => {
        for (;;) {
            const def = (cur as { _zod: { def: { type: string; innerType?: unknown; in?: unknown } } })._zod.def;
            if (def.innerType !== undefined) cur = def.innerType;
            else if (def.type === "pipe") cur = def.in;
            else return def as { type: string; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown };
        }
    };
    for (const seg of path) {
        const def = unwrap();
        if (def.type === "object" && def.shape && typeof seg === "string") cur = def.shape[seg];
        else if (def.type === "array") cur = def.element;
        else if (def.type === "record") cur = def.valueType;
        else return [];
        if (cur === undefined) return [];
    }
    const def = unwrap();
    return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function parseJson(text: string): unknown {
    try {
        const v: unknown = JSON.parse(text);
        return v !== null && typeof v === "object" ? v : text;
    } catch {
        return text;
    }
}

export function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = value;
    for (const seg of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}
