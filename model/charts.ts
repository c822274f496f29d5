/** The charts and CRD bundles a cluster installs, as types; the pinned sources are in planners/charts.ts. */

/** The charts, by the key used in `platform:charts` overrides. */
export type ChartKey =
    | "cilium"
    | "coredns"
    | "spegel"
    | "certManager"
    | "externalSecrets"
    | "fluxOperator"
    | "fluxInstance"
    | "prometheusOperatorCrds"
    | "victoriaMetricsOperatorCrds";

/** Where a Helm chart comes from: a classic repository (`repo` + `chart`) or an OCI reference. */
export interface ChartSource {
    /** Chart name in `repo`, or the full `oci://` reference when `repo` is unset. */
    chart: string;
    /** Classic Helm repository URL; unset for OCI charts. */
    repo?: string;
    /** Exact chart version. */
    version: string;
}

/** The resolved chart catalog of one stack (pins plus its overrides). */
export type ChartCatalog = Record<ChartKey, ChartSource>;

/** An upstream CRD bundle (a plain YAML release asset) applied in the CRDs phase. */
export interface CrdBundle {
    /** Stable short name; also the prefix of the CRD resources' names. */
    name: string;
    url: string;
    /**
     * sha256 (hex) of the bundle's bytes at `url`, checked after every download; unset while the
     * bundle is unpinned (the preview warns). Pins live in planners/charts.ts.
     */
    sha256?: string;
}
