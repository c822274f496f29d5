/**
 * The validated configuration of one cluster, as the program uses it: every default applied and
 * every derivable value filled in. `stacks/config` builds it from the stack file (and is the only
 * place that reads Pulumi config); planners and components take the parts they need. Plain types:
 * nothing here imports from the rest of the program.
 */
import type { ChartCatalog, CrdBundle } from "./charts";

/** Who is evaluating: the stack, project and organization names from the Pulumi runtime. */
export interface StackContext {
    stack: string;
    project: string;
    /** "organization" on the local (DIY) backend. */
    organization: string;
}

export type Role = "controlplane" | "worker";

/** Talos' install disk selector (`machine.install.diskSelector`); at least one field is set. */
export interface DiskSelector {
    size?: string;
    name?: string;
    model?: string;
    serial?: string;
    modalias?: string;
    uuid?: string;
    wwid?: string;
    type?: "ssd" | "hdd" | "nvme" | "sd";
    busPath?: string;
}

/** A physical link bonded into bond0. */
export interface Link {
    /** Kernel link name (for the EthernetConfig document), e.g. enp1s0f0np0. */
    name: string;
    /** Permanent MAC address; selects the link as a bond member. */
    mac: string;
}

/** One node. Its hostname names its resources. */
export interface NodeSpec {
    hostname: string;
    ip: string;
    role: Role;
    /** Exactly one of installDisk and installDiskSelector is set. */
    installDisk?: string;
    installDiskSelector?: DiskSelector;
    links: Link[];
}

export type BondMode = "802.3ad" | "active-backup" | "balance-xor" | "balance-alb" | "balance-tlb";

export interface Bond {
    mode: BondMode;
    /** LACP rate: set for 802.3ad only (Talos refuses it in every other mode). */
    lacpRate?: "slow" | "fast";
    xmitHashPolicy: "layer2" | "layer2+3" | "layer3+4" | "encap2+3" | "encap3+4";
    miimon: number;
    mtu: number;
}

export interface Vlan {
    id: number;
    mtu: number;
}

export interface Network {
    nodeCidr: string;
    gateway: string;
    nameservers: string[];
    podCidr: string;
    serviceCidr: string;
    bond: Bond;
    vlans: Vlan[];
    /** ethtool ring sizes for every bond member; unset keeps the driver's. */
    rings?: { rx: number; tx: number };
    /** The 10th address of the service CIDR: the kubelet's cluster DNS address on Talos. */
    coreDnsIp: string;
}

export interface ClusterIdentity {
    name: string;
    /** Cilium cluster id. */
    id: number;
    apiHost: string;
    apiPort: number;
    /** https://<apiHost>:<apiPort>, the Kubernetes API endpoint written into machine configs. */
    endpoint: string;
}

export interface Versions {
    /** Talos release with its "v", e.g. v1.11.6 (installer tags carry the "v"). */
    talos: string;
    /** Talos version contract for config generation and machine secrets, e.g. v1.11. */
    talosContract: string;
    kubernetes: string;
    /** Flux distribution the FluxInstance runs. */
    flux: string;
}

/** The Image Factory schematic: official extensions and kernel arguments. */
export interface Schematic {
    extensions: string[];
    kernelArgs: string[];
}

export interface TalosTimeouts {
    apply: string;
    bootstrap: string;
    apiReady: string;
    nodesReady: string;
}

/** How day-2 changes roll over the nodes (lifecycle/). */
export interface RolloutSettings {
    /** Workers disrupted at the same time; control planes are always one at a time. */
    maxParallelWorkers: number;
    /** Folder for etcd snapshots, relative to the project (git-ignored). */
    snapshotDir: string;
    /** Go durations: cluster healthy before a node, drain, node back, Kubernetes upgrade, stability window after a node. */
    timeouts: { health: string; drain: string; node: string; kubernetes: string; stability: string };
}

export interface TalosSettings {
    schematic: Schematic;
    /** The provider's applyMode for the install from maintenance mode (later changes roll). */
    applyMode: "auto" | "reboot";
    /** Wipe STATE and EPHEMERAL and reboot into maintenance mode on `pulumi destroy`. */
    resetOnDestroy: boolean;
    /** Renew the admin talosconfig and kubeconfig certificates when they expire within this window (Go duration). */
    certificateRenewal: string;
    timeouts: TalosTimeouts;
    /** The machine secrets' backup in 1Password; `import` re-creates a lost stack from it. */
    secrets: { backup: { vault: string; item: string }; import: boolean };
    /** For one `pulumi up` re-creating the lost state of a running cluster: record its bootstrap, don't run it. */
    adoptBootstrap: boolean;
    /** An etcd snapshot to bootstrap from instead of empty (the restore drill); relative to the project. */
    restoreFrom?: string;
    rollout: RolloutSettings;
}

export interface MutualAuth {
    enabled: boolean;
    /** StorageClass for the SPIRE server; unset: no persistent volume. */
    storageClass?: string;
}

export interface CiliumSettings {
    apiServerAccess: "kubeprism" | "dns";
    routingMode: "native" | "tunnel";
    /** Covers the pod CIDRs of every meshed cluster in native routing. */
    nativeRoutingCidr: string;
    lbPool: { start: string; stop: string };
    gatewayIp: string;
    bpfMasquerade: boolean;
    mutualAuth: MutualAuth;
    /** What Cilium's agents use to reach the API server (KubePrism or the API DNS name). */
    k8sServiceHost: string;
    k8sServicePort: number;
}

/** Another cluster of the mesh, as this stack declares it. */
export interface MeshPeerSpec {
    name: string;
    id: number;
    ip: string;
    port: number;
}

export type MeshAuthMode = "legacy" | "migration" | "cluster";

export interface ClusterMeshSettings {
    /** LoadBalancer IP of this cluster's clustermesh-apiserver. */
    ip: string;
    port: number;
    maxConnectedClusters: 255 | 511;
    authMode: MeshAuthMode;
    peers: MeshPeerSpec[];
    /** Full StackReference name of the stack owning the mesh CA; unset if this stack owns it. */
    caStack?: string;
}

export interface Bgp {
    localAsn: number;
    peerAsn: number;
    peerAddress: string;
}

/** Where a value lives in 1Password: vault (name or UUID), item title, field label. */
export interface ItemFieldRef {
    vault: string;
    item: string;
    field: string;
}

export interface GitOps {
    url: string;
    branch: string;
    path: string;
    /** Full Git ref for FluxInstance `sync.ref`, e.g. refs/heads/main. */
    ref: string;
    /** HTTPS credentials for a private repository. */
    credentials?: { username: ItemFieldRef; password: ItemFieldRef };
}

export interface OnePasswordSettings {
    /** Vault name → priority for the ClusterSecretStore. */
    vaults: Record<string, number>;
    /** The Connect token external-secrets uses in-cluster. */
    connectToken: ItemFieldRef;
    /** Connect URL for the ClusterSecretStore (as seen from the cluster). */
    connectHost: string;
    /** Connect URL the 1Password provider uses from where `pulumi up` runs. */
    providerUrl: string;
}

export interface Addons {
    spegel: boolean;
}

/** The validated configuration of one cluster. */
export interface PlatformConfig {
    stack: StackContext;
    cluster: ClusterIdentity;
    versions: Versions;
    charts: ChartCatalog;
    crdBundles: CrdBundle[];
    network: Network;
    nodes: NodeSpec[];
    controlPlanes: NodeSpec[];
    workers: NodeSpec[];
    /** The control plane that bootstraps etcd: the first one listed. */
    bootstrapNode: NodeSpec;
    talos: TalosSettings;
    cilium: CiliumSettings;
    clustermesh: ClusterMeshSettings;
    bgp: Bgp;
    gitops: GitOps;
    onepassword: OnePasswordSettings;
    addons: Addons;
    /** Extra cluster-settings keys from config (the derived ones are computed by the planner). */
    clusterSettings: Record<string, string>;
}
