import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "../model";
import { publishValues } from "./published-values";

/** Helm's wait bound for every release: fresh bare-metal pulls can be slow. */
export const RELEASE_TIMEOUT_SECONDS = 600;

export interface ReleaseSpec {
    /** Helm release name, chosen so a Flux HelmRelease of the same name and namespace can adopt it. */
    name: string;
    namespace: pulumi.Input<string>;
    source: ChartSource;
    /** A plain tree whose leaves may be Outputs, so a secret stays one leaf (and is published as one). */
    values: Record<string, unknown>;
    /** Don't wait for the release's resources (only where a real gate follows; see its caller). */
    skipAwait?: boolean;
}

/**
 * A Helm release (`helm.v3.Release`: the Helm resource that previews before the cluster exists),
 * pinned to an exact chart version from `planners/charts.ts`, with an explicit name and timeout.
 * Every release publishes the values it got, once it is installed (components/published-values.ts):
 * built here, so no release can go without.
 */
export function helmRelease(resourceName: string, spec: ReleaseSpec, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const { chart, repo, version } = spec.source;
    const release = new k8s.helm.v3.Release(
        resourceName,
        {
            name: spec.name,
            namespace: spec.namespace,
            chart,
            ...(repo ? { repositoryOpts: { repo } } : {}),
            version,
            values: spec.values,
            timeout: RELEASE_TIMEOUT_SECONDS,
            ...(spec.skipAwait ? { skipAwait: true } : {}),
        },
        opts,
    );
    publishValues(
        resourceName,
        { name: spec.name, namespace: spec.namespace },
        spec.values,
        // Beside the release, in its namespace once it is installed; nothing waits for them.
        { parent: opts.parent, provider: opts.provider, deletedWith: opts.deletedWith, dependsOn: [release] },
    );
    return release;
}

/** A Namespace, named exactly (no auto-naming suffix), optionally with labels. */
export function namespace(resourceName: string, name: string, labels: Record<string, string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(resourceName, { metadata: { name, ...(Object.keys(labels).length > 0 ? { labels } : {}) } }, opts);
}
