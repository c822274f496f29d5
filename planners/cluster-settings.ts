import type { ChartCatalog, ChartKey, PlatformConfig } from "../model";
import { chartReference } from "./charts";
import { CONNECT_TOKEN_SECRET, COREDNS_REPLICAS, SECRET_STORE_NAME } from "./constants";

/** The parts of the configuration cluster-settings summarises for Flux. */
export type ClusterSettingsInputs = Pick<PlatformConfig, "cluster" | "network" | "cilium" | "charts" | "clustermesh" | "bgp" | "onepassword">;

/**
 * The `cluster-settings` ConfigMap data that Flux substitutes into the GitOps repo (keys of the
 * architecture document, §7). Every key that can be derived from the stack config is derived
 * here, so the stack file is the single source of truth; `platform:clusterSettings` adds the rest.
 */
export function derivedClusterSettings(cfg: ClusterSettingsInputs): Record<string, string> {
    const settings: Record<string, string> = {
        CLUSTER: cfg.cluster.name,
        CLUSTER_ID: String(cfg.cluster.id),
        POD_CIDR: JSON.stringify([cfg.network.podCidr]),
        POD_CIDR_STRING: cfg.network.podCidr,
        SERVICE_CIDR: JSON.stringify([cfg.network.serviceCidr]),
        // What Cilium uses, so Flux's Cilium HelmRelease renders exactly the bootstrap values.
        K8S_SERVICE_HOST: cfg.cilium.k8sServiceHost,
        K8S_SERVICE_PORT: String(cfg.cilium.k8sServicePort),
        CILIUM_VERSION: cfg.charts.cilium.version,
        // Spans every meshed cluster's pods; POD_CIDR_STRING alone would break cross-cluster routing.
        CILIUM_NATIVE_ROUTING_CIDR: cfg.cilium.nativeRoutingCidr,
        CLUSTERMESH_IP: cfg.clustermesh.ip,
        CILIUM_GATEWAY_LB_IP: cfg.cilium.gatewayIp,
        CILIUM_BGP_LOCAL_ASN: String(cfg.bgp.localAsn),
        CILIUM_BGP_PEER_ASN: String(cfg.bgp.peerAsn),
        CILIUM_BGP_PEER_ADDRESS: `${cfg.bgp.peerAddress}/32`,
        CILIUM_LB_POOL_START: cfg.cilium.lbPool.start,
        CILIUM_LB_POOL_END: cfg.cilium.lbPool.stop,
        COREDNS_CLUSTER_IP: cfg.network.coreDnsIp,
        COREDNS_REPLICAS: String(COREDNS_REPLICAS),
        EXTERNAL_SECRET_STORE: SECRET_STORE_NAME,
        ONEPASSWORD_CONNECT_HOST: cfg.onepassword.connectHost,
        ONEPASSWORD_CONNECT_TOKEN_SECRET: CONNECT_TOKEN_SECRET,
    };
    // Shared pool manifests carry one pool per cluster; each cluster enables only its own.
    settings[poolDisabledKey(cfg.cluster.name)] = "false";
    for (const peer of cfg.clustermesh.peers) settings[poolDisabledKey(peer.name)] = "true";
    return { ...settings, ...chartSettings(cfg.charts) };
}

/**
 * Where every chart of the catalog comes from, so that the GitOps repository's HelmRepository and
 * HelmRelease adopt a bootstrap release at exactly its chart and version (README, "After the
 * hand-off"): `<KEY>_CHART` (the chart's name), `<KEY>_CHART_REPOSITORY` (`https://` or the
 * `oci://` location it lives under) and `<KEY>_CHART_VERSION`, for catalog key `<key>`.
 */
export function chartSettings(charts: ChartCatalog): Record<string, string> {
    const settings: Record<string, string> = {};
    for (const key of Object.keys(charts) as ChartKey[]) {
        const prefix = chartSettingsPrefix(key);
        const { repository, chart } = chartReference(charts[key]);
        settings[`${prefix}_CHART`] = chart;
        settings[`${prefix}_CHART_REPOSITORY`] = repository;
        settings[`${prefix}_CHART_VERSION`] = charts[key].version;
    }
    return settings;
}

/** `CERT_MANAGER` for catalog key `certManager`. */
export function chartSettingsPrefix(key: ChartKey): string {
    return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** `INFRA_POOL_DISABLED` for cluster `infra`. */
export function poolDisabledKey(clusterName: string): string {
    return `${clusterName.toUpperCase().replace(/-/g, "_")}_POOL_DISABLED`;
}

/** The full ConfigMap data: derived keys plus the extra keys from config, sorted by key. */
export function clusterSettings(cfg: ClusterSettingsInputs & Pick<PlatformConfig, "clusterSettings">): Record<string, string> {
    const all = { ...cfg.clusterSettings, ...derivedClusterSettings(cfg) };
    return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
}
