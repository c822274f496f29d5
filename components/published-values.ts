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

/** Every Output among the leaves of a plain values tree, with its path. */
function computedLeaves(v: unknown, path: (string | number)[] = []): { path: ValuesPath; output: pulumi.Output<unknown> }[] {
    if (pulumi.Output.isInstance(v)) return [{ path, output: v }];
    if (Array.isArray(v)) return v.flatMap((x, i) => computedLeaves(x, [...path, i]));
    if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => computedLeaves(x, [...path, k]));
    return [];
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
    const computed = computedLeaves(values);
    // Which leaves are secret is known only once they resolve: ask each computed leaf.
    const secretPaths = pulumi
        .all(computed.map((leaf) => pulumi.output(pulumi.isSecret(leaf.output)).apply((secret) => (secret ? [leaf.path] : []))))
        .apply((paths) => paths.flat());
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
        computed.length === 0
            ? undefined
            : new k8s.core.v1.Secret(
                  `${resourceName}-secret-values`,
                  { metadata, type: "Opaque", stringData: { [VALUES_KEY]: pulumi.secret(split.apply((s) => valuesYaml(s.secret))) } },
                  opts,
              );
    return { configMap, ...(secret ? { secret } : {}) };
}
