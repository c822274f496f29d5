import { z } from "zod";
import { FLUX_VERSION } from "../../planners/charts";
import { hasUrlCredentials } from "../../model";
import { queryCredentials, URL_QUERY_CREDENTIALS } from "./credentials";
import { Cidr, ClusterName, DnsName, ExactVersion, GoDuration, intAtLeast, intBetween, Ipv4, Port, RelativePath, URL_CREDENTIALS, UrlWithout } from "./fields";
import { NetworkSchema, NodeSchema } from "./schema-network";

export { ExactVersion } from "./fields";
export { BondSchema, DiskSelectorSchema, LinkSchema, NetworkSchema, NodeSchema, VlanSchema } from "./schema-network";

/**
 * The shape of one stack's configuration (`Pulumi.<stack>.yaml`, namespace `platform:`), as strict zod
 * schemas. Every object is `.strict()`, so a misspelled key is an error instead of a silently
 * ignored setting. Field-level rules live here; rules that relate several fields (subnets, overlaps,
 * duplicates) live in `checks.ts` so that all problems can be reported together.
 */

const ASN = "a BGP AS number (private ranges: 64512-65534 and 4200000000-4294967294)";

export const ClusterSchema = z
    .object({
        name: ClusterName,
        id: intBetween(1, 255, "the Cilium cluster id; pick one that no other cluster of the mesh uses"),
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
        /**
         * A classic chart's Helm repository (https://), or an OCI chart's full reference (oci://...,
         * ending in the chart name), which replaces the pinned one. checks.ts refuses the other mixes.
         */
        repo: UrlWithout(["https", "oci"], "must be an https:// Helm repository or an oci:// chart reference").optional(),
    })
    .strict();

export const RolloutSchema = z
    .object({
        maxParallelWorkers: intBetween(1, 10, "how many workers may be disrupted at the same time").default(1),
        snapshotDir: RelativePath("snapshots (a folder relative to the project)").default("snapshots"),
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
        /** Renew the admin talosconfig and kubeconfig certificates (1 year) when they expire within this window. */
        certificateRenewal: GoDuration.default("720h"),
        timeouts: z
            .object({
                apply: GoDuration.default("10m"),
                bootstrap: GoDuration.default("15m"),
                apiReady: GoDuration.default("10m"),
                nodesReady: GoDuration.default("15m"),
            })
            .strict()
            .default({ apply: "10m", bootstrap: "15m", apiReady: "10m", nodesReady: "15m" }),
        /** The machine secrets' backup in 1Password; `import` re-creates a lost stack from it (README, "The PKI"). */
        secrets: z
            .object({
                backup: z.object({ vault: z.string().min(1), item: z.string().min(1) }).strict(),
                import: z.boolean().default(false),
            })
            .strict(),
        /** Record a bootstrap that already happened instead of bootstrapping (a lost state of a running cluster). */
        adoptBootstrap: z.boolean().default(false),
        /** Bootstrap etcd from this snapshot (path relative to the project) instead of empty: the restore drill. */
        restoreFrom: z.string().regex(/^[^\0]+\.db$/, { error: "must be the path of an etcd snapshot (.db) taken by the rollout, e.g. snapshots/infra-...-destroy.db" }).optional(),
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
                /**
                 * StorageClass for the SPIRE server's data (/run/spire/data). Unset: the chart mounts no volume
                 * there, so the data lives in the container's writable layer and is lost whenever the container
                 * restarts (see the README on SPIRE).
                 */
                storageClass: z.string().min(1).optional(),
            })
            .strict()
            .default({ enabled: false }),
    })
    .strict();

export const PeerSchema = z
    .object({
        name: ClusterName,
        id: intBetween(1, 511, "the peer's platform:cluster.id in its own stack"),
        ip: Ipv4,
        port: Port.default(2379),
    })
    .strict();

export const ClusterMeshSchema = z
    .object({
        /** LoadBalancer IP of this cluster's clustermesh-apiserver (pinned with lbipam.cilium.io/ips). */
        ip: Ipv4,
        maxConnectedClusters: z.union([z.literal(255), z.literal(511)], { error: "must be 255 or 511 (equal in every meshed cluster)" }).default(255),
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
        localAsn: intBetween(1, 4294967295, ASN),
        peerAsn: intBetween(1, 4294967295, ASN),
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
        url: UrlWithout(["https", "ssh"], "must be an https:// or ssh:// Git URL"),
        /** A branch name; the FluxInstance syncs refs/heads/<branch>. */
        branch: z
            .string()
            .regex(/^[A-Za-z0-9._\/-]+$/, { error: "must be a branch name such as main" })
            .refine((b) => !b.startsWith("refs/"), { error: "must be a branch name such as main, not a full ref: the program adds refs/heads/ itself (refs/heads/main would become refs/heads/refs/heads/main)" })
            .default("main"),
        /** Defaults to kubernetes/clusters/<cluster name>. */
        path: RelativePath("kubernetes/clusters/infra").optional(),
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
        connectHost: UrlWithout(["http", "https"], "must be an http(s) URL such as http://onepassword-connect.external-secrets.svc:8080").optional(),
        /** Vault name → priority for the ClusterSecretStore. */
        vaults: z.record(z.string().min(1), intAtLeast(1, "the vault's priority in the store (1 is tried first)")).refine((v) => Object.keys(v).length > 0, { error: "must list at least one vault" }),
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
    // The ConfigMap is plain text in the cluster and in Git-visible renders: no URL credentials
    // (nor credential-named keys or token-shaped values: checks-sources.ts, which sees the key).
    z
        .string()
        .refine((v) => !hasUrlCredentials(v), { error: URL_CREDENTIALS })
        .refine((v) => queryCredentials(v).length === 0, { error: URL_QUERY_CREDENTIALS }),
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
export type { NodeInput } from "./schema-network";
