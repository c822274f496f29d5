import type { RecordedResource, Recording } from "../../tools/engine/recording";
import { UNKNOWN as RECORDED_UNKNOWN } from "../../tools/engine/recording";
import type { Policy, PolicyProviderResource, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs } from "../../policy/types";

/**
 * Test helper: hands the offline engine's recording of a stack to the policies the way the Pulumi
 * engine and @pulumi/policy 1.21.0 hand a real deployment to them (sdk/nodejs/policy/server.ts):
 * inputs with secrets unwrapped, unknowns behind a proxy that throws when read, the options the
 * analyzer protocol carries, the provider with its inputs, and a default provider for custom
 * resources registered without one.
 */

/** How much of the engine to imitate. */
export interface AdaptOptions {
    /**
     * `hidden` (default): as every released engine, no deletedWith in the options. `visible`: as an
     * engine that passed it, to run the check that today's engines cannot.
     */
    deletedWith?: "visible" | "hidden";
    /** Policy configuration by policy name (`--policy-pack-config`). */
    config?: Record<string, object>;
}

/** One policy's findings on one stack. */
export interface PolicyResult {
    violations: { message: string; urn?: string }[];
    notApplicable: string[];
}

/** Thrown by `notApplicable` (@pulumi/policy records the reason instead of a violation). */
class NotApplicable extends Error {
    constructor(readonly reason: string) {
        super(reason);
    }
}

/** What @pulumi/policy's proxy throws when a policy reads an unknown value (proxy.ts). */
export class UnknownValueError extends Error {
    constructor(
        readonly unknownTypeSentinel: string,
        path: string[],
    ) {
        super(`value at .${path.join(".")} can't be known during preview`);
    }
}

/** The wire value of an unknown string (@pulumi/policy proxy.ts `unknownStringValue`). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Runs every policy on a stack's recording; one result per policy name. */
export function runPolicies(policies: Policy[], recording: Pick<Recording, "resources">, options: AdaptOptions = {}): Record<string, PolicyResult> {
    const analyzed = recording.resources.filter((r) => !r.read);
    const byUrn = new Map(recording.resources.map((r) => [r.urn, r]));
    const out: Record<string, PolicyResult> = {};
    for (const policy of policies) {
        const result: PolicyResult = { violations: [], notApplicable: [] };
        const report = (message: string, urn?: string) => result.violations.push({ message, ...(urn ? { urn } : {}) });
        const getConfig = <T extends object>() => (options.config?.[policy.name] ?? {}) as T;
        const guard = (run: () => void) => {
            try {
                run();
            } catch (err) {
                if (!(err instanceof NotApplicable)) throw err;
                result.notApplicable.push(err.reason);
            }
        };
        // The stack's resources carry their outputs; the recording has inputs, which is all these policies read.
        const resources: PolicyResource[] = analyzed.map((r) => ({
            type: r.type,
            props: unknownCheckingProxy(r.inputs),
            urn: r.urn,
            name: r.name,
            opts: resourceOptions(r, options),
            ...providerOf(r, byUrn),
        }));
        if ("validateResource" in policy) {
            for (const r of resources) {
                const args: ResourceValidationArgs = { ...r, getConfig, notApplicable };
                guard(() => policy.validateResource(args, (message, urn) => report(message, urn ?? r.urn)));
            }
        } else {
            const args: StackValidationArgs = { resources, getConfig, notApplicable };
            guard(() => policy.validateStack(args, report));
        }
        out[policy.name] = result;
    }
    return out;
}

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason ?? "Policy does not apply");
}

/** The options of AnalyzerResourceOptions, as server.ts `getResourceOptions` builds them. */
function resourceOptions(r: RecordedResource, options: AdaptOptions): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: [...r.ignoreChanges],
        // The recording counts aliases; no policy reads them.
        aliases: [],
        additionalSecretOutputs: [...r.additionalSecretOutputs],
        ...(r.parent ? { parent: r.parent } : {}),
        ...(options.deletedWith === "visible" && r.deletedWith ? { deletedWith: r.deletedWith } : {}),
    };
}

/**
 * The provider as the engine passes it: the registered one, or (for a custom resource registered
 * without one) the default provider the engine would create, named `default_<version>` and
 * configured from nothing but the environment.
 */
function providerOf(r: RecordedResource, byUrn: Map<string, RecordedResource>): { provider?: PolicyProviderResource } {
    if (r.provider) {
        const p = byUrn.get(r.provider);
        if (!p) throw new Error(`provider ${r.provider} of ${r.urn} is not in the recording`);
        return { provider: { type: p.type, props: unknownCheckingProxy(p.inputs), urn: p.urn, name: p.name } };
    }
    if (!r.custom || r.type.startsWith("pulumi:providers:")) return {};
    const pkg = r.type.split(":")[0];
    const name = r.version ? `default_${r.version.replace(/[.-]/g, "_")}` : "default";
    return { provider: { type: `pulumi:providers:${pkg}`, props: {}, urn: `urn:pulumi:stack::project::pulumi:providers:${pkg}::${name}`, name } };
}

/** Like @pulumi/policy's `unknownCheckingProxy`: reading an unknown (the recording's marker) throws. */
function unknownCheckingProxy<T>(value: T, path: string[] = []): T {
    if (value === null || typeof value !== "object") return value;
    return new Proxy(value as object, {
        get: (obj, prop) => {
            const field = (obj as Record<string | symbol, unknown>)[prop];
            if (typeof prop !== "string") return field;
            if (field === RECORDED_UNKNOWN) throw new UnknownValueError(UNKNOWN_STRING, [...path, prop]);
            const desc = Object.getOwnPropertyDescriptor(obj, prop);
            if (desc && "value" in desc && desc.configurable === false && desc.writable === false) return field;
            return unknownCheckingProxy(field, [...path, prop]);
        },
    }) as T;
}

/** A deep copy of a recording's resources, to break on purpose. */
export function copyResources(recording: Pick<Recording, "resources">): RecordedResource[] {
    return structuredClone(recording.resources);
}
