import { z } from "zod";
import type { PlatformInput } from "./schema";

/**
 * What parsed of a key that did not parse whole, so that the whole-configuration rules still run
 * on it (one round of problems: a bad IP in nodes[0] must not hide a duplicate hostname in
 * nodes[2], nor a bad Gateway IP the LB-pool rules). A key's object keeps the fields that parsed;
 * a list of objects (nodes, peers, VLANs) and a record (charts) keep each entry, with the fields
 * of that entry that parsed, at its index. Deeper values parse whole or not at all.
 */

/** A list of objects, entry by entry: the fields of each that parsed (`undefined`: not even an object). */
export type Entries<E> = (Partial<E> | undefined)[];

/** One key's parts: its fields that parsed, lists of objects entry by entry. */
export type Parts<T> = { [K in keyof T]?: T[K] extends readonly (infer E)[] ? (E extends Record<string, unknown> ? Entries<E> : T[K]) : T[K] };

/** Every `platform:` key that was not set as a secret, whole or in the parts that parsed. */
export type PlatformParts = { [K in keyof PlatformInput]?: PlatformInput[K] extends readonly (infer E)[] ? Entries<E> : Parts<PlatformInput[K]> };

/** Fields that were set but did not parse, per salvaged object: an optional field missing for that reason was not left unset. */
const FAILED = new WeakMap<object, ReadonlySet<string>>();

/** True if any of `keys` was set on `obj` but did not parse (so its absence says nothing). */
export function failed(obj: object | undefined, ...keys: string[]): boolean {
    const bad = obj === undefined ? undefined : FAILED.get(obj);
    return bad !== undefined && keys.some((k) => bad.has(k));
}

/** `T` with the fields `K` known to be there. */
export type With<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> };

/** `obj`, if every one of the fields `keys` parsed. */
export function need<T extends object, K extends keyof T>(obj: T | undefined, ...keys: K[]): With<T, K> | undefined {
    if (obj === undefined || keys.some((k) => obj[k] === undefined)) return undefined;
    return obj as With<T, K>;
}

/** The entries of a list that have every field in `keys`, each with its index in the stack file. */
export function entries<E extends object, K extends keyof E>(list: readonly (E | undefined)[] | undefined, ...keys: K[]): [With<E, K>, number][] {
    const out: [With<E, K>, number][] = [];
    (list ?? []).forEach((entry, i) => {
        const picked = need(entry, ...keys);
        if (picked !== undefined) out.push([picked, i]);
    });
    return out;
}

/** The field `key` of every entry, if every entry has it (else undefined: a rule over all of them cannot run). */
export function every<E extends object, K extends keyof E>(list: readonly (E | undefined)[] | undefined, key: K): Exclude<E[K], undefined>[] | undefined {
    if (list === undefined) return undefined;
    const found = entries(list, key);
    return found.length === list.length ? found.map(([e]) => e[key] as Exclude<E[K], undefined>) : undefined;
}

/** The parts of `value` that `schema` (a key's schema, which rejected it whole) accepts. */
export function salvage(schema: z.ZodType, value: unknown): unknown {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodArray && Array.isArray(value)) return listParts(inner, value);
    if (inner instanceof z.ZodRecord && isPlainObject(value)) return recordParts(inner, value);
    if (inner instanceof z.ZodObject && isPlainObject(value)) {
        const out: Record<string, unknown> = {};
        const bad = new Set<string>();
        for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
            const r = field.safeParse(value[key]);
            const sub = unwrap(field);
            const parts = r.success ? r.data : sub instanceof z.ZodArray && Array.isArray(value[key]) ? listParts(sub, value[key] as unknown[]) : sub instanceof z.ZodRecord && isPlainObject(value[key]) ? recordParts(sub, value[key] as Record<string, unknown>) : undefined;
            if (parts !== undefined) out[key] = parts;
            else bad.add(key);
        }
        FAILED.set(out, bad);
        return out;
    }
    return undefined;
}

/**
 * A list of objects entry by entry; an entry that does not parse keeps its fields that do. None:
 * a list of plain values (it parses whole or not at all), or one whose entries all parse (so the
 * list's own rule failed, e.g. "at least one", and no rule over it can run).
 */
function listParts(schema: z.ZodArray, list: unknown[]): unknown[] | undefined {
    const element = schema.element as z.ZodType;
    if (!(unwrap(element) instanceof z.ZodObject) || list.every((entry) => element.safeParse(entry).success)) return undefined;
    return list.map((entry) => entryParts(element, entry));
}

/** A record's entries whose key parses, each whole or in the fields that parse. */
function recordParts(schema: z.ZodRecord, record: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(record)) {
        if (!(schema.keyType as z.ZodType).safeParse(key).success) continue;
        const parsed = entryParts(schema.valueType as z.ZodType, entry);
        if (parsed !== undefined) out[key] = parsed;
    }
    return out;
}

function entryParts(schema: z.ZodType, entry: unknown): unknown {
    const r = schema.safeParse(entry);
    if (r.success) return r.data;
    const inner = unwrap(schema);
    if (!(inner instanceof z.ZodObject) || !isPlainObject(entry)) return undefined;
    const out: Record<string, unknown> = {};
    const bad = new Set<string>();
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
        const f = field.safeParse(entry[key]);
        if (f.success) out[key] = f.data;
        else bad.add(key);
    }
    FAILED.set(out, bad);
    return out;
}

/** The schema inside defaults and optionals: the value was set, so they have nothing to add. */
function unwrap(schema: z.ZodType): z.ZodType {
    let cur = schema;
    while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
    return cur;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}
