/**
 * The part of @pulumi/policy's API the policies use, restated structurally so that policies.ts
 * imports nothing at run time: the root test suite (tests/policy.test.ts) runs the policies
 * without the pack's own node_modules, and `tsc -p policy` checks in index.ts that these shapes
 * are assignable to the real `ResourceValidationPolicy` / `StackValidationPolicy`.
 */

/** Options the engine passes with each resource (`PolicyResourceOptions` in @pulumi/policy 1.21.0). */
export interface PolicyResourceOptions {
    protect: boolean;
    ignoreChanges: string[];
    aliases: string[];
    additionalSecretOutputs: string[];
    parent?: string;
    /**
     * Not passed by any released engine/SDK yet (AnalyzerResourceOptions has no such field up to
     * @pulumi/pulumi 3.276.0; @pulumi/policy 1.21.0 does not map it). Read if it ever arrives.
     */
    deletedWith?: string;
}

/** The provider of a resource (`PolicyProviderResource`). */
export interface PolicyProviderResource {
    type: string;
    /** The provider's inputs, secrets unwrapped (see README, "Policies in the PR preview"). */
    props: Record<string, any>;
    urn: string;
    name: string;
}

/** What a resource validation receives (`ResourceValidationArgs`). */
export interface ResourceValidationArgs {
    type: string;
    /**
     * The resource's inputs. Secret values arrive unwrapped, indistinguishable from plain ones
     * (pulumi/pulumi-policy#241); during preview, reading an unknown value throws.
     */
    props: Record<string, any>;
    urn: string;
    name: string;
    opts: PolicyResourceOptions;
    provider?: PolicyProviderResource;
    getConfig<T extends object>(): T;
    notApplicable(reason?: string): never;
}

/** One resource of the stack as a stack validation sees it (`PolicyResource`). */
export interface PolicyResource {
    type: string;
    props: Record<string, any>;
    urn: string;
    name: string;
    opts: PolicyResourceOptions;
    provider?: PolicyProviderResource;
}

/** What a stack validation receives (`StackValidationArgs`). */
export interface StackValidationArgs {
    resources: PolicyResource[];
    getConfig<T extends object>(): T;
    notApplicable(reason?: string): never;
}

/** Reports one violation; `urn` names the offending resource. */
export type ReportViolation = (message: string, urn?: string) => void;

export type EnforcementLevel = "advisory" | "mandatory" | "disabled";

/** JSON schema of a policy's configuration (the subset used here). */
export interface PolicyConfigSchema {
    properties: Record<string, { type: "array"; items: { type: "string" }; default?: string[]; description?: string }>;
    required?: string[];
}

interface PolicyBase {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: PolicyConfigSchema;
}

export interface ResourceValidationPolicy extends PolicyBase {
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => void;
}

export interface StackValidationPolicy extends PolicyBase {
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => void;
}

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** Stands for a value that is unknown during preview (computed by a resource not yet created). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * `obj[key]`, or `UNKNOWN` if the value is not known yet. @pulumi/policy hands props out behind a
 * proxy that throws an `UnknownValueError` (a field `unknownTypeSentinel`) when a policy reads an
 * unknown value; a policy that let it escape would turn into an advisory "can't run during preview".
 */
export function read(obj: unknown, key: string | number): unknown {
    if (obj === UNKNOWN) return UNKNOWN;
    if (obj === null || typeof obj !== "object") return undefined;
    try {
        const v = (obj as Record<string | number, unknown>)[key];
        return typeof v === "string" && UNKNOWN_SENTINELS.has(v) ? UNKNOWN : v;
    } catch (err) {
        if (err instanceof Error && "unknownTypeSentinel" in err) return UNKNOWN;
        throw err;
    }
}

/** Reads a dotted path, e.g. `read(props, "metadata", "annotations")`. */
export function readPath(obj: unknown, ...keys: (string | number)[]): unknown {
    return keys.reduce<unknown>((cur, k) => read(cur, k), obj);
}

/** One leaf (string, number, boolean, null) of a nested value, with its path of keys. */
export interface Leaf {
    path: string[];
    value: unknown;
}

/** Every known leaf under `value`; unknown values are skipped (they are checked on `pulumi up`). */
export function leaves(value: unknown, path: string[] = []): Leaf[] {
    if (value === UNKNOWN || value === undefined) return [];
    if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => leaves(read(value, i), [...path, String(i)])).flat();
    if (value !== null && typeof value === "object") return Object.keys(value).flatMap((k) => leaves(read(value, k), [...path, k]));
    return [{ path, value }];
}

/** The resource type in a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function urnType(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

/** The wire values of unknowns (@pulumi/policy proxy.js), should one ever reach a policy unproxied. */
const UNKNOWN_SENTINELS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);
