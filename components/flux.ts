import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "../model";
import { fluxInstanceValues, type FluxInstanceInputs } from "../planners/addon-values";
import { WATCH_LABELS } from "../planners/published-values";
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
    /**
     * What Flux's first sync may hit: CoreDNS (the operator pulls the distribution artifact and
     * source-controller clones the repository by name), the cert-manager and external-secrets
     * releases (their webhooks admit Certificates, Issuers and ExternalSecrets) and the
     * ClusterSecretStore those ExternalSecrets read from. A first apply that fails is retried only
     * after the sync interval (10 minutes), longer than the release's health check waits.
     */
    requires: { coreDns: pulumi.Resource; certManager: pulumi.Resource; externalSecrets: pulumi.Resource; secretStore: pulumi.Resource };
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
                // Watched: the Kustomizations substituting from it re-apply as soon as it changes.
                metadata: { name: "cluster-settings", namespace: args.fluxNamespace.metadata.name, labels: { cluster: args.clusterName, ...WATCH_LABELS } },
                data: args.settings,
            },
            child,
        );

        this.instance = helmRelease(
            `${name}-instance`,
            { name: "flux", namespace: args.fluxNamespace.metadata.name, source: args.chart, values: fluxInstanceValues(args.instance) },
            {
                ...child,
                dependsOn: [
                    // The FluxInstance CRD and the account the chart's health check runs as.
                    args.fluxOperator,
                    // Flux's first sync substitutes cluster-settings and pulls with the credentials.
                    this.clusterSettings,
                    ...(args.gitCredentials ? [args.gitCredentials] : []),
                    // Git fetch and the distribution artifact are fetched by DNS name.
                    args.requires.coreDns,
                    // Webhooks the first apply of the Git root may call (Certificates, Issuers, ExternalSecrets).
                    args.requires.certManager,
                    args.requires.externalSecrets,
                    // ExternalSecrets in the Git root read from it.
                    args.requires.secretStore,
                ],
            },
        );

        this.registerOutputs({ clusterSettings: this.clusterSettings, instance: this.instance });
    }
}
