import { isDeepStrictEqual } from "util";
import type { RecordedResource, Recording } from "./recording";

/**
 * What `pulumi up` would do to each resource when the program, run with a changed config, registers
 * `after` where the stack's state holds `before`: a model of the engine's step decision, so tests
 * can ask "does this config change replace the machine secrets?" of two recorded evaluations
 * instead of reading option literals.
 *
 * The model, per URN:
 * - only in `after` → `create`; only in `before` → `delete` (a rename is a delete plus a create);
 * - a different explicit provider reference → `replace` (the engine replaces a resource that moves
 *   to another provider instance);
 * - otherwise the inputs are compared after removing the paths the new registration lists in
 *   `ignoreChanges` (the engine keeps the old value there): equal → `same`;
 * - a changed path listed in the new registration's `replaceOnChanges`, or a changed property the
 *   provider itself replaces on (`PROVIDER_REPLACES`) → `replace`;
 * - anything else → `update`.
 *
 * A plugin version change (a Talos minor moves every Talos resource to that minor's provider
 * release) is not a step of its own: on a default provider the engine replaces a resource for a
 * new plugin version only when the new release's DiffConfig says the provider configuration needs
 * it (pulumi/pulumi step_generator.go, `providerChanged`), and this program configures none of
 * its default providers (no `talos:` or `tls:` keys in the stack files). The new release's diff
 * of the resource itself is then the table below, as for any change.
 *
 * Not modelled: a provider's own diff beyond that table (e.g. the Kubernetes provider replacing
 * objects whose immutable fields change, or a new provider release that replaces on a property
 * the old one updated), replacements cascading through unknown outputs in a preview, and
 * `deleteBeforeReplace`. The offline engine's provider outputs are deterministic functions of
 * the inputs, so a replaced resource's new outputs show up in its dependents' inputs.
 */
export type Step = "same" | "update" | "replace" | "create" | "delete";

/**
 * Top-level input properties whose change makes the provider itself answer "replace" (its schema's
 * ForceNew / RequiresReplace), for the types where that matters to this program. `*` means every
 * input. Kept small on purpose: only what the tests of this program ask about.
 */
export const PROVIDER_REPLACES: Record<string, readonly string[]> = {
    // Image Factory ids are content-addressed: a new schematic is a new resource (RequiresReplace).
    "talos:imageFactory/schematic:Schematic": ["schematic"],
    // The provider replaces the secrets (the whole cluster PKI) only when `talosVersion` is LOWERED;
    // modelled as any change, which errs on the side of reporting a replacement.
    "talos:machine/secrets:Secrets": ["talosVersion"],
    // A new key is a new key: algorithm, size and curve are ForceNew in the tls provider.
    "tls:index/privateKey:PrivateKey": ["algorithm", "rsaBits", "ecdsaCurve"],
    // Every input of a self-signed certificate is ForceNew: any change issues a new CA.
    "tls:index/selfSignedCert:SelfSignedCert": ["*"],
};

/** The step the engine would take for every URN of either recording. */
export function planSteps(before: Recording, after: Recording): Record<string, Step> {
    const steps: Record<string, Step> = {};
    const old = new Map(before.resources.map((r) => [r.urn, r]));
    for (const r of after.resources) {
        const prior = old.get(r.urn);
        steps[r.urn] = prior ? stepFor(prior, r) : "create";
    }
    for (const r of before.resources) if (!(r.urn in steps)) steps[r.urn] = "delete";
    return steps;
}

function stepFor(prior: RecordedResource, next: RecordedResource): Step {
    const olds = withoutPaths(prior.inputs, next.ignoreChanges);
    const news = withoutPaths(next.inputs, next.ignoreChanges);
    if (prior.provider !== next.provider) return "replace";
    if (isDeepStrictEqual(olds, news)) return "same";
    const replaceOn = [...next.replaceOnChanges, ...(PROVIDER_REPLACES[next.type] ?? [])];
    const changed = (path: string) => (path === "*" ? true : !isDeepStrictEqual(valueAt(olds, path), valueAt(news, path)));
    return replaceOn.some(changed) ? "replace" : "update";
}

/** Splits a property path (`a.b[0].c`, `metadata["name"]`) into its segments. */
function segments(path: string): string[] {
    return [...path.matchAll(/[^.[\]"]+|\["([^"]*)"\]/g)].map((m) => m[1] ?? m[0]);
}

function valueAt(obj: unknown, path: string): unknown {
    let cur = obj;
    for (const seg of segments(path)) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[seg];
    }
    return cur;
}

/** A deep copy of `inputs` without the values at `paths` (`*` removes everything). */
function withoutPaths(inputs: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
    if (paths.includes("*")) return {};
    const copy = structuredClone(inputs);
    for (const path of paths) {
        const segs = segments(path);
        let cur: unknown = copy;
        for (const seg of segs.slice(0, -1)) {
            if (cur === null || typeof cur !== "object") break;
            cur = (cur as Record<string, unknown>)[seg];
        }
        if (cur !== null && typeof cur === "object") delete (cur as Record<string, unknown>)[segs[segs.length - 1]];
    }
    return copy;
}
