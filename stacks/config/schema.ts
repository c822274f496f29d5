import { z } from "zod";
import { FLUX_VERSION } from "../../planners/charts";

/**
 * The shape of one stack's configuration (`Pulumi.<stack>.yaml`, namespace `platform:`), as strict zod
 * schemas. Every object is `.strict()`, so a misspelled key is an error instead of a silently
 * ignored setting. Field-level rules live here; rules that relate several fields (subnets, overlaps,
 * duplicates) live in `checks.ts` so that all problems can be reported together.
 */

const Ipv4 = z.ipv4({ error: "must be an IPv4 address such as 10.25.11.11" });
const Cidr = z.cidrv4({ error: "must be an IPv4 CIDR such as 10.244.0.0/16" });
const Port = z.int().min(1).max(65535);

/** An exact version pin: 1.2.3 or v1.2.3 (optionally with a pre-release suffix); never a range. */
export const ExactVersion = z
    .string()
    .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, {
        error: "must be an exact version such as 1.18.3 or v1.19.1 (no ranges, wildcards or 'latest')",
    });

/** An RFC 1123 label, as used for hostnames and Kubernetes node names. */
const Hostname = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
        error: "must be a lowercase RFC 1123 label (a-z, 0-9, '-'; at most 63 characters)",
    });

/** A DNS name such as infra-k8s.monosense.io. */
const DnsName = z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/, {
        error: "must be a lowercase DNS name such as infra-k8s.example.com",
    });

/** A Cilium cluster name: at most 32 characters of [a-z0-9-], starting and ending alphanumeric. */
const ClusterName = z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, {
        error: "must be a valid Cilium cluster name (lowercase a-z, 0-9 and '-', at most 32 characters, alphanumeric at both ends)",
    })
    .refine((n) => n !== "default", { error: "must not be 'default' (Cilium reserves it)" });

const Mac = z.mac({ delimiter: ":", error: "must be a MAC address such as f8:f2:1e:20:57:a0" });

/** A Go duration as Talos and its provider take it, e.g. 10m, 720h, 1h30m. */
const GoDuration = z.string().regex(/^(\d+(ns|us|µs|ms|s|m|h))+$/, { error: "must be a duration such as 10m or 720h" });

export const ClusterSchema = z
    .object({
        name: ClusterName,
        id: z.int().min(1, { error: "must be between 1 and 255" }).max(255, { error: "must be between 1 and 255" }),
        apiHost: DnsName,
        apiPort: Port.default(6443),
    })
    .strict();

export const VersionsSchema = z
    .object({
        talos: ExactVersion,
        kubernetes: ExactVersion,
        /** Flux distribution the FluxInstance runs; must be in the pinned flux-operator's manifests. */
        flux: ExactVersion.default(FLUX_VERSION),
    })
    .strict();

/** Optional per-chart overrides of the pinned sources in `planners/charts.ts`. */
export const ChartOverrideSchema = z
    .object({
        version: ExactVersion.optional(),
        repo: z.string().regex(/^(https:\/\/|oci:\/\/)\S+$/, { error: "must be an https:// or oci:// URL" }).optional(),
    })
    .strict();

export const BondSchema = z
    .object({
        mode: z.enum(["802.3ad", "active-backup", "balance-xor", "balance-alb", "balance-tlb"]).default("802.3ad"),
        lacpRate: z.enum(["slow", "fast"]).default("fast"),
        xmitHashPolicy: z.enum(["layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4"]).default("layer3+4"),
        miimon: z.int().min(0).default(100),
        mtu: z.int().min(1280).max(9216).default(9000),
    })
    .strict();

export const VlanSchema = z
    .object({
        id: z.int().min(1, { error: "must be a VLAN id between 1 and 4094" }).max(4094, { error: "must be a VLAN id between 1 and 4094" }),
        mtu: z.int().min(1280).max(9216).default(1500),
    })
    .strict();

export const NetworkSchema = z
    .object({
        nodeCidr: Cidr,
        gateway: Ipv4,
        nameservers: z.array(Ipv4).min(1).optional(),
        podCidr: Cidr,
        serviceCidr: Cidr,
        bond: BondSchema.default(BondSchema.parse({})),
        vlans: z.array(VlanSchema).default([]),
        /** ethtool ring sizes applied to every bond member (Talos EthernetConfig). */
        rings: z.object({ rx: z.int().min(1), tx: z.int().min(1) }).strict().optional(),
    })
    .strict();

export const DiskSelectorSchema = z
    .object({
        size: z.string().optional(),
        name: z.string().optional(),
        model: z.string().optional(),
        serial: z.string().optional(),
        modalias: z.string().optional(),
        uuid: z.string().optional(),
        wwid: z.string().optional(),
        type: z.enum(["ssd", "hdd", "nvme", "sd"]).optional(),
        busPath: z.string().optional(),
    })
    .strict()
    .refine((s) => Object.keys(s).length > 0, { error: "must set at least one selector field" });

export const LinkSchema = z
    .object({
        /** Kernel link name (for the EthernetConfig document), e.g. enp1s0f0np0. */
        name: z.string().regex(/^[a-zA-Z0-9_.-]{1,15}$/, { error: "must be a Linux link name such as enp1s0f0np0" }),
        /** Permanent MAC address; selects the link as a bond member. */
        mac: Mac,
    })
    .strict();

export const NodeSchema = z
    .object({
        hostname: Hostname,
        ip: Ipv4,
        role: z.enum(["controlplane", "worker"]),
        installDisk: z.string().regex(/^\/dev\/\S+$/, { error: "must be a device path such as /dev/nvme0n1" }).optional(),
        installDiskSelector: DiskSelectorSchema.optional(),
        /** The physical links bonded into bond0. */
        links: z.array(LinkSchema).min(1, { error: "must list at least one bond member link" }),
    })
    .strict();

export const RolloutSchema = z
    .object({
        maxParallelWorkers: z.int().min(1).max(10).default(1),
        snapshotDir: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: "must be a folder relative to the project, such as snapshots" }).default("snapshots"),
        timeouts: z
            .object({
                health: GoDuration.default("10m"),
                drain: GoDuration.default("5m"),
                node: GoDuration.default("30m"),
                kubernetes: GoDuration.default("60m"),
                stability: GoDuration.default("30s"),
            })
            .strict()
            .default({ health: "10m", drain: "5m", node: "30m", kubernetes: "60m", stability: "30s" }),
    })
    .strict();

export const TalosSchema = z
    .object({
        schematic: z
            .object({
                extensions: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, { error: "must be an official extension name such as siderolabs/intel-ucode" })).default([]),
                kernelArgs: z.array(z.string().min(1)).default([]),
            })
            .strict(),
        /**
         * The provider's `applyMode`, for the first install and every later change alike. Only modes a
         * node in maintenance mode accepts: `staged` and `no_reboot` would fail the first apply.
         */
        applyMode: z.enum(["auto", "reboot"], { error: "must be auto or reboot (a node in maintenance mode accepts no other mode)" }).default("auto"),
        /** Wipe STATE and EPHEMERAL and reboot into maintenance mode on `pulumi destroy`. */
        resetOnDestroy: z.boolean().default(false),
        /** Renew the admin kubeconfig when its certificate expires within this window. */
        kubeconfigRenewal: GoDuration.default("720h"),
        timeouts: z
            .object({
                apply: GoDuration.default("10m"),
                bootstrap: GoDuration.default("15m"),
                kubeconfig: GoDuration.default("10m"),
                apiReady: GoDuration.default("10m"),
                nodesReady: GoDuration.default("15m"),
            })
            .strict()
            .default({ apply: "10m", bootstrap: "15m", kubeconfig: "10m", apiReady: "10m", nodesReady: "15m" }),
        /** How day-2 changes roll over the nodes (README, "Day 2"). */
        rollout: RolloutSchema.default(RolloutSchema.parse({})),
    })
    .strict();

export const CiliumSchema = z
    .object({
        /** How Cilium reaches the API server: KubePrism on localhost:7445 (default) or the API DNS name. */
        apiServerAccess: z.enum(["kubeprism", "dns"]).default("kubeprism"),
        routingMode: z.enum(["native", "tunnel"]).default("native"),
        /** Must cover the pod CIDRs of every meshed cluster in native routing. */
        nativeRoutingCidr: Cidr,
        lbPool: z.object({ start: Ipv4, stop: Ipv4 }).strict(),
        gatewayIp: Ipv4,
        bpfMasquerade: z.boolean().default(true),
        mutualAuth: z
            .object({
                enabled: z.boolean().default(false),
                /** StorageClass for the SPIRE server; unset keeps its data on an emptyDir (see README). */
                storageClass: z.string().min(1).optional(),
            })
            .strict()
            .default({ enabled: false }),
    })
    .strict();

export const PeerSchema = z
    .object({
        name: ClusterName,
        id: z.int().min(1).max(511),
        ip: Ipv4,
        port: Port.default(2379),
    })
    .strict();

export const ClusterMeshSchema = z
    .object({
        /** LoadBalancer IP of this cluster's clustermesh-apiserver (pinned with lbipam.cilium.io/ips). */
        ip: Ipv4,
        maxConnectedClusters: z.union([z.literal(255), z.literal(511)]).default(255),
        authMode: z.enum(["legacy", "migration", "cluster"]).default("cluster"),
        peers: z.array(PeerSchema).default([]),
        /**
         * Stack that owns the shared mesh CA. Unset: this stack creates the CA. Set (e.g. "infra"): the CA
         * and that stack's declared mesh are read through a StackReference and checked against ours.
         */
        caStack: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+){0,2}$/, { error: "must be a stack name (infra) or a full reference (org/project/infra)" }).optional(),
    })
    .strict();

export const BgpSchema = z
    .object({
        localAsn: z.int().min(1).max(4294967295),
        peerAsn: z.int().min(1).max(4294967295),
        peerAddress: Ipv4,
    })
    .strict();

/** A field of a 1Password item, read through 1Password Connect. */
export const ItemFieldSchema = z
    .object({
        vault: z.string().min(1),
        item: z.string().min(1),
        field: z.string().min(1),
    })
    .strict();

export const GitOpsSchema = z
    .object({
        url: z.string().regex(/^(https:\/\/|ssh:\/\/)\S+$/, { error: "must be an https:// or ssh:// Git URL" }),
        branch: z.string().regex(/^[A-Za-z0-9._\/-]+$/, { error: "must be a branch name such as main" }).default("main"),
        /** Defaults to kubernetes/clusters/<cluster name>. */
        path: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: "must be a relative path such as kubernetes/clusters/infra" }).optional(),
        /** HTTPS credentials for a private repository; unset for a public one. */
        credentials: z
            .object({
                username: ItemFieldSchema,
                password: ItemFieldSchema,
            })
            .strict()
            .optional(),
    })
    .strict();

export const OnePasswordSchema = z
    .object({
        /** Connect URL used from inside the cluster; defaults to `onepassword:url`. */
        connectHost: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
        /** Vault name → priority for the ClusterSecretStore. */
        vaults: z.record(z.string().min(1), z.int().min(1)).refine((v) => Object.keys(v).length > 0, { error: "must list at least one vault" }),
        /** The Connect token external-secrets uses in-cluster. */
        connectToken: ItemFieldSchema,
    })
    .strict();

export const AddonsSchema = z
    .object({
        spegel: z.boolean().default(true),
    })
    .strict();

/** Extra `cluster-settings` keys for Flux substitution (UPPER_SNAKE_CASE → string). */
export const ClusterSettingsSchema = z.record(
    z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: "keys must be UPPER_SNAKE_CASE" }),
    z.string(),
);

/** Every `platform:` key a stack file may set, with its schema. */
export const PlatformKeys = {
    cluster: ClusterSchema,
    versions: VersionsSchema,
    charts: z.record(z.string(), ChartOverrideSchema).default({}),
    network: NetworkSchema,
    nodes: z.array(NodeSchema).min(1, { error: "must list at least one node" }),
    talos: TalosSchema,
    cilium: CiliumSchema,
    clustermesh: ClusterMeshSchema,
    bgp: BgpSchema,
    gitops: GitOpsSchema,
    onepassword: OnePasswordSchema,
    addons: AddonsSchema.default({ spegel: true }),
    clusterSettings: ClusterSettingsSchema.default({}),
} as const;

export const PlatformSchema = z.object(PlatformKeys).strict();

/** The parsed, defaulted `platform:` configuration of one stack. */
export type PlatformInput = z.infer<typeof PlatformSchema>;
export type NodeInput = z.infer<typeof NodeSchema>;
