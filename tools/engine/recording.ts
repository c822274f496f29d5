/**
 * What the offline engine saw while the program ran: every resource registration with its
 * options, every invoke, and the dependency graph between them. Tests and the render command
 * query this instead of restating what the program does.
 */

/** The wire marker the Pulumi SDK wraps secret values in (runtime/rpc.ts `specialSigKey`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The marker value identifying a secret (runtime/rpc.ts `specialSecretSig`). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** One resource registration, as the engine would receive it. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** True for custom resources (provider-managed); false for components. */
    custom: boolean;
    /** Inputs with secret values still wrapped (see `isSecretValue`). */
    rawInputs: Record<string, unknown>;
    /** Inputs with secret wrappers removed. */
    inputs: Record<string, unknown>;
    /** URN of the provider resource, if any. */
    provider?: string;
    parent?: string;
    /** Every URN this resource depends on (explicit dependsOn plus property dependencies). */
    dependencies: string[];
    /** Dependencies per input property. */
    propertyDependencies: Record<string, string[]>;
    deletedWith?: string;
    protect: boolean;
    retainOnDelete: boolean;
    /** A replacement deletes the old resource before it creates the new one. */
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    additionalSecretOutputs: string[];
    customTimeouts?: { create?: string; update?: string; delete?: string };
    aliases: number;
    version?: string;
    pluginDownloadURL?: string;
    importId?: string;
    /** True for a read (`.get`, StackReference) rather than a registration. */
    read: boolean;
}

/** One provider function call. */
export interface RecordedInvoke {
    token: string;
    rawInputs: Record<string, unknown>;
    inputs: Record<string, unknown>;
    provider?: string;
    version?: string;
    pluginDownloadURL?: string;
}

/** Marker of an output value on the wire (runtime/rpc.ts `specialOutputValueSig`). */
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** The wire value of an unknown (runtime/rpc.ts `unknownValue`). */
const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** How an unknown (not yet computed) value is recorded. */
export const UNKNOWN = "[unknown until applied]";

/**
 * Decodes properties as the engine receives them from an SDK that sends output values (the real
 * engine supports them): secretness stays on the exact leaf that was secret, unknowns are marked.
 * Secrets are kept as secret envelopes (see `isSecretValue`).
 */
export function decodeWire(v: unknown): unknown {
    if (v === UNKNOWN_WIRE) return UNKNOWN;
    if (Array.isArray(v)) return v.map(decodeWire);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === OUTPUT_VALUE_SIG) {
        const value = "value" in o ? decodeWire(o.value) : UNKNOWN;
        return o.secret === true ? { [SIG_KEY]: SECRET_SIG, value } : value;
    }
    if (o[SIG_KEY] === SECRET_SIG) return { [SIG_KEY]: SECRET_SIG, value: decodeWire(o.value) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeWire(x)]));
}

/** True if `v` is a value the SDK marked secret on the wire. */
export function isSecretValue(v: unknown): v is { value: unknown } {
    return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret wrappers, recursively. */
export function unwrapSecrets(v: unknown): unknown {
    if (isSecretValue(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Dotted paths (e.g. `values.tls.ca.key`) of every value that arrived as a secret. */
export function secretPaths(v: unknown, prefix = ""): string[] {
    if (isSecretValue(v)) return [prefix === "" ? "." : prefix];
    const join = (k: string | number) => (prefix === "" ? String(k) : `${prefix}.${k}`);
    if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, join(i)));
    if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => secretPaths(x, join(k)));
    return [];
}

/** True if the value at `path` (or any value above it) arrived as a secret. */
export function isSecretAt(inputs: Record<string, unknown>, path: string): boolean {
    let cur: unknown = inputs;
    for (const seg of path.split(".")) {
        if (isSecretValue(cur)) return true;
        if (cur === null || typeof cur !== "object") return false;
        cur = (cur as Record<string, unknown>)[seg];
    }
    return isSecretValue(cur);
}

/** The resources and invokes of one evaluation, with graph queries. */
export class Recording {
    readonly resources: RecordedResource[] = [];
    readonly invokes: RecordedInvoke[] = [];
    private readonly byUrn = new Map<string, RecordedResource>();

    add(r: RecordedResource): void {
        this.resources.push(r);
        this.byUrn.set(r.urn, r);
    }

    /** The resource with this URN. */
    resource(urn: string): RecordedResource {
        const r = this.byUrn.get(urn);
        if (!r) throw new Error(`no resource with URN ${urn}`);
        return r;
    }

    /** All resources of a type token. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The single resource with this name (and type, if given); throws if none or several. */
    find(name: string, type?: string): RecordedResource {
        const hits = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
        if (hits.length !== 1) throw new Error(`expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${hits.length}`);
        return hits[0];
    }

    /** Invokes of a token. */
    invokesOf(token: string): RecordedInvoke[] {
        return this.invokes.filter((i) => i.token === token);
    }

    /**
     * URNs a resource waits for before the engine creates it: explicit and property dependencies,
     * its parent and its provider.
     */
    directPredecessors(urn: string): string[] {
        const r = this.resource(urn);
        const out = new Set<string>(r.dependencies);
        for (const deps of Object.values(r.propertyDependencies)) deps.forEach((d) => out.add(d));
        if (r.parent) out.add(r.parent);
        if (r.provider) out.add(r.provider);
        out.delete(urn);
        return [...out].filter((u) => this.byUrn.has(u));
    }

    /** Every URN `urn` transitively waits for. */
    predecessors(urn: string): Set<string> {
        const seen = new Set<string>();
        const stack = [urn];
        while (stack.length) {
            for (const p of this.directPredecessors(stack.pop()!)) {
                if (!seen.has(p)) {
                    seen.add(p);
                    stack.push(p);
                }
            }
        }
        return seen;
    }

    /** True if `later` can only be created after `earlier` exists. */
    isOrderedAfter(later: RecordedResource, earlier: RecordedResource): boolean {
        return this.predecessors(later.urn).has(earlier.urn);
    }

    /** True if neither resource waits for the other, i.e. the engine may create them in parallel. */
    areIndependent(a: RecordedResource, b: RecordedResource): boolean {
        return !this.isOrderedAfter(a, b) && !this.isOrderedAfter(b, a);
    }
}
