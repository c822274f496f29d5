import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartCatalog } from "../model";
import type { CrdObject } from "../planners/crd-bundle";
import { helmRelease } from "./release";

export interface ClusterCrdsArgs {
    charts: ChartCatalog;
    /** Parsed upstream CRD bundles by bundle name (gateway-api, cert-manager, external-secrets). */
    bundles: Map<string, CrdObject[]>;
    /** In-cluster objects are skipped on destroy when this (the cluster) goes too. */
    deletedWith: pulumi.Resource;
}

/**
 * The CRDs phase: every CRD a bootstrap controller needs, installed before that controller. Plain
 * bundles (Gateway API, cert-manager, external-secrets) become one resource per CRD; the
 * prometheus-operator and VictoriaMetrics operator CRDs come from their CRD-only charts.
 */
export class ClusterCrds extends pulumi.ComponentResource {
    /** Gateway API standard CRDs; Cilium must start after them. */
    public readonly gatewayApi: pulumi.Resource[];
    public readonly certManager: pulumi.Resource[];
    public readonly externalSecrets: pulumi.Resource[];
    /** ServiceMonitor and friends; charts that enable ServiceMonitors start after them. */
    public readonly prometheusOperator: k8s.helm.v3.Release;
    public readonly victoriaMetricsOperator: k8s.helm.v3.Release;

    constructor(name: string, args: ClusterCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:ClusterCrds", name, {}, opts);
        const child = { parent: this, deletedWith: args.deletedWith };

        const bundle = (bundleName: string) =>
            (args.bundles.get(bundleName) ?? []).map(
                // The bundle was checked to hold only CRDs; its spec is upstream's, passed through as is.
                (crd) => new k8s.apiextensions.v1.CustomResourceDefinition(`${name}-${crd.metadata.name}`, { ...crd, spec: crd.spec as unknown as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec }, child),
            );
        this.gatewayApi = bundle("gateway-api");
        this.certManager = bundle("cert-manager");
        this.externalSecrets = bundle("external-secrets");

        this.prometheusOperator = helmRelease(
            `${name}-prometheus-operator`,
            { name: "prometheus-operator-crds", namespace: "kube-system", source: args.charts.prometheusOperatorCrds, values: {} },
            child,
        );
        this.victoriaMetricsOperator = helmRelease(
            `${name}-victoria-metrics-operator`,
            { name: "victoria-metrics-operator-crds", namespace: "kube-system", source: args.charts.victoriaMetricsOperatorCrds, values: {} },
            child,
        );

        this.registerOutputs({
            gatewayApi: this.gatewayApi,
            certManager: this.certManager,
            externalSecrets: this.externalSecrets,
            prometheusOperator: this.prometheusOperator,
            victoriaMetricsOperator: this.victoriaMetricsOperator,
        });
    }
}
