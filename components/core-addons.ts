import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { certManagerValues, coreDnsValues, externalSecretsValues, fluxOperatorValues, spegelValues } from "../planners/addon-values";
import { EXTERNAL_SECRETS_NAMESPACE, FLUX_NAMESPACE } from "../planners/constants";
import type { ChartCatalog } from "../model";
import type { ClusterCrds } from "./cluster-crds";
import { helmRelease, namespace } from "./release";

export interface CoreAddonsArgs {
    charts: Pick<ChartCatalog, "coredns" | "spegel" | "certManager" | "externalSecrets" | "fluxOperator">;
    /** CoreDNS' Service address (the kubelets' cluster DNS). */
    coreDnsIp: string;
    spegel: boolean;
    crds: ClusterCrds;
    /** Completes once the CNI works (every node Ready). */
    networkReady: pulumi.Resource;
    deletedWith: pulumi.Resource;
}

/**
 * The add-ons Flux needs, each once the CNI works (every node Ready; their pods cannot start
 * before) and none waiting for another: CoreDNS, cert-manager, external-secrets and the
 * flux-operator. They talk to the API server by its Service IP and are called by it through their
 * Services, so none needs cluster DNS; only Spegel does (it finds its peers by DNS), so it follows
 * CoreDNS. The namespaces are created up front so Secrets can land in them early.
 */
export class CoreAddons extends pulumi.ComponentResource {
    public readonly fluxNamespace: k8s.core.v1.Namespace;
    public readonly externalSecretsNamespace: k8s.core.v1.Namespace;
    public readonly coredns: k8s.helm.v3.Release;
    public readonly spegel?: k8s.helm.v3.Release;
    public readonly certManager: k8s.helm.v3.Release;
    public readonly externalSecrets: k8s.helm.v3.Release;
    public readonly fluxOperator: k8s.helm.v3.Release;

    constructor(name: string, args: CoreAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:CoreAddons", name, {}, opts);
        const charts = args.charts;
        const child = { parent: this, deletedWith: args.deletedWith };

        const certManagerNamespace = namespace(`${name}-cert-manager-namespace`, "cert-manager", {}, child);
        this.externalSecretsNamespace = namespace(`${name}-external-secrets-namespace`, EXTERNAL_SECRETS_NAMESPACE, {}, child);
        this.fluxNamespace = namespace(`${name}-flux-namespace`, FLUX_NAMESPACE, {}, child);

        // Every release's pods need the CNI: before the nodes are Ready, Helm's wait would time out.
        const network = args.networkReady;

        this.coredns = helmRelease(
            `${name}-coredns`,
            { name: "coredns", namespace: "kube-system", source: charts.coredns, values: coreDnsValues(args.coreDnsIp) },
            { ...child, dependsOn: [network] },
        );
        if (args.spegel) {
            // Spegel bootstraps its peer discovery through cluster DNS.
            this.spegel = helmRelease(`${name}-spegel`, { name: "spegel", namespace: "kube-system", source: charts.spegel, values: spegelValues() }, { ...child, dependsOn: [this.coredns] });
        }
        this.certManager = helmRelease(
            `${name}-cert-manager`,
            { name: "cert-manager", namespace: certManagerNamespace.metadata.name, source: charts.certManager, values: certManagerValues() },
            // Its CRDs come from the CRDs phase (the chart's own are off).
            { ...child, dependsOn: [network, ...args.crds.certManager] },
        );
        this.externalSecrets = helmRelease(
            `${name}-external-secrets`,
            { name: "external-secrets", namespace: this.externalSecretsNamespace.metadata.name, source: charts.externalSecrets, values: externalSecretsValues() },
            // Its CRDs come from the CRDs phase (the chart's own are off).
            { ...child, dependsOn: [network, ...args.crds.externalSecrets] },
        );
        this.fluxOperator = helmRelease(
            `${name}-flux-operator`,
            { name: "flux-operator", namespace: this.fluxNamespace.metadata.name, source: charts.fluxOperator, values: fluxOperatorValues() },
            { ...child, dependsOn: [network] },
        );

        this.registerOutputs({
            fluxNamespace: this.fluxNamespace,
            externalSecretsNamespace: this.externalSecretsNamespace,
            coredns: this.coredns,
            spegel: this.spegel,
            certManager: this.certManager,
            externalSecrets: this.externalSecrets,
            fluxOperator: this.fluxOperator,
        });
    }
}
