import type { ChartCatalog, ChartKey, ChartSource, CrdBundle } from "../model";

/**
 * Every chart and CRD bundle this program installs, with its pinned upstream source, in one place.
 * Stack config may override `version` and `repo` per chart (`platform:charts`); nothing else in
 * the program names a version or a chart location.
 */

/** The Helm charts, keyed by the name used in `platform:charts` overrides. */
export const CHARTS = {
    /** Classic repo only for 1.18.3; the official OCI copy starts at 1.18.6 (cilium/cilium#43624). */
    cilium: { chart: "cilium", repo: "https://helm.cilium.io/", version: "1.18.3" },
    /** 1.38.0 was never pushed to OCI (its publish workflow lacked `packages: write`). */
    coredns: { chart: "coredns", repo: "https://coredns.github.io/helm", version: "1.38.0" },
    spegel: { chart: "oci://ghcr.io/spegel-org/helm-charts/spegel", version: "0.4.0" },
    certManager: { chart: "oci://quay.io/jetstack/charts/cert-manager", version: "v1.19.1" },
    externalSecrets: { chart: "external-secrets", repo: "https://charts.external-secrets.io", version: "0.20.3" },
    fluxOperator: { chart: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator", version: "0.33.0" },
    fluxInstance: { chart: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance", version: "0.33.0" },
    /** appVersion v0.86.2, the operator release of early Nov 2025. */
    prometheusOperatorCrds: {
        chart: "prometheus-operator-crds",
        repo: "https://prometheus-community.github.io/helm-charts",
        version: "24.0.2",
    },
    victoriaMetricsOperatorCrds: {
        chart: "victoria-metrics-operator-crds",
        repo: "https://victoriametrics.github.io/helm-charts/",
        version: "0.5.1",
    },
} satisfies ChartCatalog;

/** True if `key` names a chart in the catalog. */
export function isChartKey(key: string): key is ChartKey {
    return Object.prototype.hasOwnProperty.call(CHARTS, key);
}

/** Applies per-chart overrides to the pinned defaults. Unknown keys must be rejected by the caller. */
export function resolveCharts(overrides: Partial<Record<ChartKey, { version?: string; repo?: string }>>): ChartCatalog {
    const out = {} as ChartCatalog;
    for (const key of Object.keys(CHARTS) as ChartKey[]) {
        const base: ChartSource = CHARTS[key];
        const o = overrides[key] ?? {};
        out[key] = { ...base, ...(o.version ? { version: o.version } : {}), ...(o.repo ? { repo: o.repo } : {}) };
    }
    return out;
}

/**
 * The CRD bundles for a catalog. cert-manager's and external-secrets' CRDs follow their chart
 * versions so that the CRDs phase and the controllers can never disagree.
 */
export function crdBundles(charts: ChartCatalog): CrdBundle[] {
    const certManager = withV(charts.certManager.version);
    const externalSecrets = withV(charts.externalSecrets.version);
    return [
        {
            // Standard channel only: Cilium 1.18 implements Gateway API v1.3.0.
            name: "gateway-api",
            url: `https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`,
        },
        {
            name: "cert-manager",
            url: `https://github.com/cert-manager/cert-manager/releases/download/${certManager}/cert-manager.crds.yaml`,
        },
        {
            name: "external-secrets",
            url: `https://raw.githubusercontent.com/external-secrets/external-secrets/${externalSecrets}/deploy/crds/bundle.yaml`,
        },
    ];
}

/**
 * Flux distribution for the FluxInstance. An exact version, not "2.7.x": with the manifests
 * artifact pinned to the operator release it resolves deterministically, and 2.7.2 is in it.
 */
export const FLUX_VERSION = "2.7.2";

/** Gateway API CRDs matching Cilium 1.18 (cilium/cilium#39590). */
export const GATEWAY_API_VERSION = "v1.3.0";

function withV(version: string): string {
    return version.startsWith("v") ? version : `v${version}`;
}
