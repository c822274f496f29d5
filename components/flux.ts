import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "../model";
import { fluxInstanceValues, type FluxInstanceInputs } from "../planners/addon-values";
import { helmRelease } from "./release";

export interface FluxHandoffArgs {
    clusterName: string;
    /** The `cluster-settings` data Flux substitutes (see planners/cluster-settings.ts). */
    settings: Record<string, string>;
    instance: FluxInstanceInputs;
    chart: ChartSource;
    fluxNamespace: k8s.core.v1.Namespace;
    /** The flux-operator release (CRDs and the service account the health check runs as). */
    fluxOperator: pulumi.Resource;
    /** The Git credentials Secret, when the repository is private. */
    gitCredentials?: pulumi.Resource;
    deletedWith: pulumi.Resource;
}

/**
 * Hands the cluster to Flux: the `cluster-settings` ConfigMap Flux substitutes into the GitOps
 * repository (generated from the stack config, the single source of truth), then the FluxInstance
 * `flux` syncing `kubernetes/clusters/<cluster>`. The release completes only when Flux is Ready.
 */
export class FluxHandoff extends pulumi.ComponentResource {
    public readonly clusterSettings: k8s.core.v1.ConfigMap;
    public readonly instance: k8s.helm.v3.Release;

    constructor(name: string, args: FluxHandoffArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:FluxHandoff", name, {}, opts);
        const child = { parent: this, deletedWith: args.deletedWith };

        this.clusterSettings = new k8s.core.v1.ConfigMap(
            `${name}-cluster-settings`,
            {
                metadata: { name: "cluster-settings", namespace: args.fluxNamespace.metadata.name, labels: { cluster: args.clusterName } },
                data: args.settings,
            },
            child,
        );

        this.instance = helmRelease(
            `${name}-instance`,
            { name: "flux", namespace: args.fluxNamespace.metadata.name, source: args.chart, values: fluxInstanceValues(args.instance) },
            {
                ...child,
                // Flux's first sync substitutes cluster-settings and pulls with the credentials, so both
                // must exist first; the operator provides the CRD and the health check's account.
                dependsOn: [args.fluxOperator, this.clusterSettings, ...(args.gitCredentials ? [args.gitCredentials] : [])],
            },
        );

        this.registerOutputs({ clusterSettings: this.clusterSettings, instance: this.instance });
    }
}
