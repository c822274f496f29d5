import { crdBundles, resolveCharts, type ChartCatalog, type CrdBundle } from "../../planners/charts";
import { nthIp } from "../../planners/ipv4";
import type { NodeInput, PlatformInput } from "./schema";

/** Who is evaluating: the stack, project and organization names from the Pulumi runtime. */
export interface StackContext {
    stack: string;
    project: string;
    /** "organization" on the local (DIY) backend. */
    organization: string;
}

/** One node as the program uses it. */
export type NodeSpec = NodeInput;

/** ClusterMesh API server port; fixed by the Cilium chart's clustermesh-apiserver Service. */
export const CLUSTERMESH_PORT = 2379;

/** KubePrism's port on every Talos node (Talos' default since 1.6). */
export const KUBEPRISM_PORT = 7445;

/**
 * The validated configuration of one cluster with every derivable value filled in. This is the
 * only configuration object components see; none of them reads Pulumi config.
 */
export interface PlatformConfig {
    stack: StackContext;
    cluster: PlatformInput["cluster"] & {
        /** https://<apiHost>:<apiPort>, the Kubernetes API endpoint written into machine configs. */
        endpoint: string;
    };
    versions: PlatformInput["versions"] & {
        /** Talos version contract for config generation and machine secrets, e.g. v1.11. */
        talosContract: string;
    };
    charts: ChartCatalog;
    crdBundles: CrdBundle[];
    network: PlatformInput["network"] & {
        nameservers: string[];
        /** The 10th address of the service CIDR: the kubelet's cluster DNS address on Talos. */
        coreDnsIp: string;
    };
    nodes: NodeSpec[];
    controlPlanes: NodeSpec[];
    workers: NodeSpec[];
    /** The control plane that bootstraps etcd: the first one listed. */
    bootstrapNode: NodeSpec;
    talos: PlatformInput["talos"];
    cilium: PlatformInput["cilium"] & {
        /** What Cilium's agents use to reach the API server (KubePrism or the API DNS name). */
        k8sServiceHost: string;
        k8sServicePort: number;
    };
    clustermesh: Omit<PlatformInput["clustermesh"], "caStack"> & {
        port: number;
        /** Full StackReference name of the stack owning the mesh CA; unset if this stack owns it. */
        caStack?: string;
    };
    bgp: PlatformInput["bgp"];
    gitops: Omit<PlatformInput["gitops"], "path"> & {
        path: string;
        /** Full Git ref for FluxInstance `sync.ref`, e.g. refs/heads/main. */
        ref: string;
    };
    onepassword: Omit<PlatformInput["onepassword"], "connectHost"> & {
        /** Connect URL for the ClusterSecretStore. */
        connectHost: string;
        /** Connect URL the 1Password provider uses from where `pulumi up` runs. */
        providerUrl: string;
    };
    addons: PlatformInput["addons"];
    /** Extra cluster-settings keys from config (the derived ones are computed by the planner). */
    clusterSettings: Record<string, string>;
}

/** Fills in defaults and derived values. `input` has passed the schema and the cross-field checks. */
export function derivePlatform(input: PlatformInput, ctx: StackContext, onepasswordUrl: string): PlatformConfig {
    const controlPlanes = input.nodes.filter((n) => n.role === "controlplane");
    const charts = resolveCharts(input.charts);
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
