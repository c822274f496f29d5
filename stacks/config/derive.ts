import { CLUSTERMESH_PORT, KUBEPRISM_PORT, type Bond, type ChartCatalog, type PlatformConfig, type StackContext } from "../../model";
import { CHARTS, crdBundles, isChartKey, resolveCharts } from "../../planners/charts";
import { nthIp } from "../../planners/ipv4";
import type { PlatformInput } from "./schema";

/** Fills in defaults and derived values. `input` has passed the schema and the cross-field checks. */
export function derivePlatform(input: PlatformInput, ctx: StackContext, onepasswordUrl: string): PlatformConfig {
    const controlPlanes = input.nodes.filter((n) => n.role === "controlplane");
    const charts = chartCatalog(input.charts);
    const talosParts = input.versions.talos.replace(/^v/, "").split(".");
    return {
        stack: ctx,
        cluster: { ...input.cluster, endpoint: `https://${input.cluster.apiHost}:${input.cluster.apiPort}` },
        // Talos tags (installer images) carry the "v"; accept the version with or without it.
        versions: { ...input.versions, talos: `v${talosParts.join(".")}`, talosContract: `v${talosParts[0]}.${talosParts[1]}` },
        charts,
        crdBundles: crdBundles(charts),
        network: {
            ...input.network,
            bond: bondSettings(input.network.bond),
            nameservers: input.network.nameservers ?? [input.network.gateway],
            coreDnsIp: nthIp(input.network.serviceCidr, 10),
        },
        nodes: input.nodes,
        controlPlanes,
        workers: input.nodes.filter((n) => n.role === "worker"),
        bootstrapNode: controlPlanes[0],
        talos: input.talos,
        cilium: {
            ...input.cilium,
            k8sServiceHost: input.cilium.apiServerAccess === "kubeprism" ? "localhost" : input.cluster.apiHost,
            k8sServicePort: input.cilium.apiServerAccess === "kubeprism" ? KUBEPRISM_PORT : input.cluster.apiPort,
        },
        clustermesh: {
            ip: input.clustermesh.ip,
            port: CLUSTERMESH_PORT,
            maxConnectedClusters: input.clustermesh.maxConnectedClusters,
            authMode: input.clustermesh.authMode,
            peers: input.clustermesh.peers,
            ...(input.clustermesh.caStack ? { caStack: stackReferenceName(input.clustermesh.caStack, ctx) } : {}),
        },
        bgp: input.bgp,
        gitops: {
            url: input.gitops.url,
            branch: input.gitops.branch,
            path: input.gitops.path ?? `kubernetes/clusters/${input.cluster.name}`,
            ref: `refs/heads/${input.gitops.branch}`,
            ...(input.gitops.credentials ? { credentials: input.gitops.credentials } : {}),
        },
        onepassword: {
            vaults: input.onepassword.vaults,
            connectToken: input.onepassword.connectToken,
            connectHost: input.onepassword.connectHost ?? onepasswordUrl,
            providerUrl: onepasswordUrl,
        },
        addons: input.addons,
        clusterSettings: input.clusterSettings,
    };
}

/**
 * The pinned charts with the stack's overrides. An OCI chart's `repo` override is its full oci://
 * reference and replaces the pinned one (an OCI chart has no repository); a classic chart's
 * replaces its repository. checks.ts has refused every other mix.
 */
function chartCatalog(overrides: PlatformInput["charts"]): ChartCatalog {
    const isOci = (key: string) => isChartKey(key) && CHARTS[key].chart.startsWith("oci://");
    const classic = Object.fromEntries(Object.entries(overrides).map(([k, o]) => [k, isOci(k) ? { version: o.version } : o]));
    const charts = resolveCharts(classic);
    for (const [key, o] of Object.entries(overrides)) {
        if (isChartKey(key) && isOci(key) && o.repo !== undefined) charts[key] = { ...charts[key], chart: o.repo };
    }
    return charts;
}

/** The bond as Talos takes it: an LACP rate (default fast) in 802.3ad mode only. */
function bondSettings(bond: PlatformInput["network"]["bond"]): Bond {
    const { lacpRate, ...rest } = bond;
    return rest.mode === "802.3ad" ? { ...rest, lacpRate: lacpRate ?? "fast" } : rest;
}

/**
 * Expands a stack name to a full StackReference name. "infra" becomes
 * `<organization>/<project>/infra` (on the local backend the organization is literally
 * "organization"); "proj/infra" gets the organization prepended; a full name is kept.
 */
export function stackReferenceName(name: string, ctx: StackContext): string {
    const parts = name.split("/");
    if (parts.length === 3) return name;
    if (parts.length === 2) return `${ctx.organization}/${name}`;
    return `${ctx.organization}/${ctx.project}/${name}`;
}
