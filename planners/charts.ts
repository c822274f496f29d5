import type { ChartCatalog, ChartKey, ChartSource, CrdBundle } from "../model";

/**
 * Every chart and CRD bundle this program installs, with its pinned upstream source, in one place.
 * Stack config may override `version` and `repo` per chart (`platform:charts`); nothing else in
 * the program names a version or a chart location. The line before each pin is its Renovate
 * annotation (renovate.json); tests/renovate.test.ts checks that they agree with the pins.
 */

/** The Helm charts, keyed by the name used in `platform:charts` overrides. */
export const CHARTS = {
    /** Classic repo only for 1.18.3; the official OCI copy starts at 1.18.6 (cilium/cilium#43624). */
    // renovate: datasource=helm depName=cilium registryUrl=https://helm.cilium.io/
    cilium: { chart: "cilium", repo: "https://helm.cilium.io/", version: "1.18.3" },
    /** 1.38.0 was never pushed to OCI (its publish workflow lacked `packages: write`). */
    // renovate: datasource=helm depName=coredns registryUrl=https://coredns.github.io/helm
    coredns: { chart: "coredns", repo: "https://coredns.github.io/helm", version: "1.38.0" },
    // renovate: datasource=docker depName=spegel packageName=ghcr.io/spegel-org/helm-charts/spegel
    spegel: { chart: "oci://ghcr.io/spegel-org/helm-charts/spegel", version: "0.4.0" },
    /** Also the version of cert-manager's CRD bundle (crdBundles below): one pin for both. */
    // renovate: datasource=docker depName=cert-manager packageName=quay.io/jetstack/charts/cert-manager
    certManager: { chart: "oci://quay.io/jetstack/charts/cert-manager", version: "v1.19.1" },
    /** Also the version of external-secrets' CRD bundle (crdBundles below): one pin for both. */
    // renovate: datasource=helm depName=external-secrets registryUrl=https://charts.external-secrets.io
    externalSecrets: { chart: "external-secrets", repo: "https://charts.external-secrets.io", version: "0.20.3" },
    // renovate: datasource=docker depName=flux-operator packageName=ghcr.io/controlplaneio-fluxcd/charts/flux-operator
    fluxOperator: { chart: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator", version: "0.33.0" },
    // renovate: datasource=docker depName=flux-instance packageName=ghcr.io/controlplaneio-fluxcd/charts/flux-instance
    fluxInstance: { chart: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance", version: "0.33.0" },
    /** appVersion v0.86.2, the operator release of early Nov 2025. */
    prometheusOperatorCrds: {
        chart: "prometheus-operator-crds",
        repo: "https://prometheus-community.github.io/helm-charts",
        // renovate: datasource=helm depName=prometheus-operator-crds registryUrl=https://prometheus-community.github.io/helm-charts
        version: "24.0.2",
    },
    victoriaMetricsOperatorCrds: {
        chart: "victoria-metrics-operator-crds",
        repo: "https://victoriametrics.github.io/helm-charts/",
        // renovate: datasource=helm depName=victoria-metrics-operator-crds registryUrl=https://victoriametrics.github.io/helm-charts/
        version: "0.5.1",
    },
} satisfies ChartCatalog;

/** True if `key` names a chart in the catalog. */
export function isChartKey(key: string): key is ChartKey {
    return Object.prototype.hasOwnProperty.call(CHARTS, key);
}

/**
 * A chart as Helm and Flux address it: a repository (a classic `https://` one, or the `oci://`
 * location the chart lives under) and the chart's name in it.
 */
export function chartReference(source: ChartSource): { repository: string; chart: string } {
    if (source.repo) return { repository: source.repo, chart: source.chart };
    const slash = source.chart.lastIndexOf("/");
    return { repository: source.chart.slice(0, slash), chart: source.chart.slice(slash + 1) };
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
 * versions so that the CRDs phase and the controllers can never disagree. Each carries its sha256
 * pin when CRD_BUNDLE_SHA256 has one for exactly that URL.
 */
export function crdBundles(charts: ChartCatalog): CrdBundle[] {
    const certManager = withV(charts.certManager.version);
    const externalSecrets = withV(charts.externalSecrets.version);
    return bundleUrls(certManager, externalSecrets).map((b) => {
        const sha256 = crdBundleSha256(b.url);
        return sha256 ? { ...b, sha256 } : b;
    });
}

/**
 * The sha256 of each CRD bundle, with the URL it was taken from. Written by `npm run
 * pin-crd-bundles` (it downloads the bundles, so it needs GitHub; sha256 "" means not pinned yet)
 * and checked after every download: a mismatch stops the run before anything is created. A pin
 * counts only for its URL, so when a version moves (a Renovate update, a stack's chart override)
 * the bundle is unpinned, and the preview warns, until the script runs again.
 */
export const CRD_BUNDLE_SHA256: Record<string, { url: string; sha256: string }> = {
    "gateway-api": { url: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml", sha256: "" },
    "cert-manager": { url: "https://github.com/cert-manager/cert-manager/releases/download/v1.19.1/cert-manager.crds.yaml", sha256: "" },
    "external-secrets": { url: "https://raw.githubusercontent.com/external-secrets/external-secrets/v0.20.3/deploy/crds/bundle.yaml", sha256: "" },
};

/** The pinned sha256 of the bundle at `url`, if CRD_BUNDLE_SHA256 pins that exact URL. */
export function crdBundleSha256(url: string): string | undefined {
    return Object.values(CRD_BUNDLE_SHA256).find((p) => p.url === url && p.sha256 !== "")?.sha256;
}

function bundleUrls(certManager: string, externalSecrets: string): CrdBundle[] {
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
// renovate: datasource=github-releases depName=fluxcd/flux2 extractVersion=^v(?<version>.+)$
export const FLUX_VERSION = "2.7.2";

/** Gateway API CRDs matching Cilium 1.18 (cilium/cilium#39590). */
// renovate: datasource=github-releases depName=kubernetes-sigs/gateway-api
export const GATEWAY_API_VERSION = "v1.3.0";

function withV(version: string): string {
    return version.startsWith("v") ? version : `v${version}`;
}
