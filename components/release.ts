import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "../model";

/** Helm's wait bound for every release: fresh bare-metal pulls can be slow. */
export const RELEASE_TIMEOUT_SECONDS = 600;

export interface ReleaseSpec {
    /** Helm release name, chosen so a Flux HelmRelease of the same name and namespace can adopt it. */
    name: string;
    namespace: pulumi.Input<string>;
    source: ChartSource;
    values: pulumi.Input<Record<string, unknown>>;
    /** Don't wait for the release's resources (only where a real gate follows; see its caller). */
    skipAwait?: boolean;
}

/**
 * A Helm release (`helm.v3.Release`: the Helm resource that previews before the cluster exists),
 * pinned to an exact chart version from `planners/charts.ts`, with an explicit name and timeout.
 */
export function helmRelease(resourceName: string, spec: ReleaseSpec, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const { chart, repo, version } = spec.source;
    return new k8s.helm.v3.Release(
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
}

/** A Namespace, named exactly (no auto-naming suffix), optionally with labels. */
export function namespace(resourceName: string, name: string, labels: Record<string, string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(resourceName, { metadata: { name, ...(Object.keys(labels).length > 0 ? { labels } : {}) } }, opts);
}
