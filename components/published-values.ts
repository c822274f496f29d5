import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { splitSecretLeaves, VALUES_KEY, valuesObjectName, valuesYaml, WATCH_LABELS, type ValuesPath } from "../planners/published-values";

/** The objects a release's values are published in. */
export interface PublishedValues {
    /** `<release>-values`: every value but the secret leaves. */
    configMap: k8s.core.v1.ConfigMap;
    /** `<release>-values` too: the secret leaves, when the values can hold any. */
    secret?: k8s.core.v1.Secret;
}

/** A value the engine resolves before it records it: an Output or a Promise. */
const isComputed = (v: unknown): v is pulumi.Output<unknown> | Promise<unknown> => pulumi.Output.isInstance(v) || v instanceof Promise;

/** True if any leaf of a plain values tree is computed (only a computed leaf can be secret). */
function hasComputedLeaf(v: unknown): boolean {
    if (isComputed(v)) return true;
    if (v !== null && typeof v === "object") return Object.values(v).some(hasComputedLeaf);
    return false;
}

/**
 * The paths of the secret values of a values tree whose leaves may be computed, at any depth: a
 * computed leaf that is secret itself, and every secret inside what it resolves to (which may hold
 * computed values in turn). The secretness of the outer Output alone is not enough: an Output that
 * resolves to `{user, token: pulumi.secret(...)}` is not secret, yet the engine records `token`
 * secret when it serializes the tree as the release's values, and so must the split.
 */
function secretPathsOf(v: unknown, path: (string | number)[] = []): pulumi.Output<ValuesPath[]> {
    if (pulumi.Output.isInstance(v)) {
        // apply hands over the resolved value as it is: Outputs inside it are walked, not lifted.
        const inner = v.apply((resolved) => secretPathsOf(resolved, path));
        return pulumi.all([pulumi.isSecret(v), inner]).apply(([secret, below]) => (secret ? [path, ...below] : below));
    }
    if (v instanceof Promise) return pulumi.output(v.then((resolved) => secretPathsOf(resolved, path)));
    if (v !== null && typeof v === "object") {
        const children = Array.isArray(v) ? v.map((x, i) => secretPathsOf(x, [...path, i])) : Object.entries(v).map(([k, x]) => secretPathsOf(x, [...path, k]));
        return pulumi.all(children).apply((paths) => paths.flat());
    }
    return pulumi.output([]);
}

/**
 * Publishes the exact values a Helm release got (`values`, the same tree passed to the release) in
 * the release's namespace, for a Flux HelmRelease to adopt the release with (`valuesFrom`): a
 * ConfigMap with everything but the secret leaves and, when the values hold computed leaves (the
 * only ones that can be secret), a Secret of the same name with the secret ones. Both under key
 * `values.yaml`, merging back into the release's values (planners/published-values.ts).
 */
export function publishValues(
    resourceName: string,
    release: { name: string; namespace: pulumi.Input<string> },
    values: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions,
): PublishedValues {
    // Which values are secret is known only once the computed leaves resolve, down to the last one.
    const secretPaths = secretPathsOf(values);
    // Secret as a whole as soon as one leaf is: only the two halves below are told apart.
    const split = pulumi.all([pulumi.output(values), secretPaths]).apply(([resolved, paths]) => splitSecretLeaves(resolved as Record<string, unknown>, paths));
    const metadata = { name: valuesObjectName(release.name), namespace: release.namespace, labels: { ...WATCH_LABELS } };

    const configMap = new k8s.core.v1.ConfigMap(
        `${resourceName}-values`,
        // Not secret: every leaf that was secret has been cut out of this half above.
        { metadata, data: { [VALUES_KEY]: pulumi.unsecret(split.apply((s) => valuesYaml(s.plain))) } },
        opts,
    );
    // Known before anything resolves (a resource cannot wait for that): values without computed
    // leaves have no secret one, so no Secret; with them, it holds whichever turn out secret.
    const secret =
        !hasComputedLeaf(values)
            ? undefined
            : new k8s.core.v1.Secret(
                  `${resourceName}-secret-values`,
                  { metadata, type: "Opaque", stringData: { [VALUES_KEY]: pulumi.secret(split.apply((s) => valuesYaml(s.secret))) } },
                  opts,
              );
    return { configMap, ...(secret ? { secret } : {}) };
}
