import type { GitOps } from "../model";
import { COREDNS_REPLICAS, GIT_CREDENTIALS_SECRET } from "./constants";

/**
 * Helm values for the core add-ons after Cilium. Pure functions of the stack config; nothing
 * secret ever goes into them (credentials live in Secrets the charts reference by name).
 */

/** Tolerations that let add-ons run on control-plane nodes during bootstrap. */
const CONTROL_PLANE_TOLERATIONS = [
    { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    { key: "CriticalAddonsOnly", operator: "Exists" },
];

/** CoreDNS as the cluster DNS Talos' kubelets point at (the 10th address of the service CIDR). */
export function coreDnsValues(coreDnsIp: string): Record<string, unknown> {
    return {
        replicaCount: COREDNS_REPLICAS,
        // kube-dns compatible: the Service name and the k8s-app label tools and policies expect.
        k8sAppLabelOverride: "kube-dns",
        service: { name: "kube-dns", clusterIP: coreDnsIp },
        serviceAccount: { create: true },
        priorityClassName: "system-cluster-critical",
        tolerations: CONTROL_PLANE_TOLERATIONS,
        // Spread the replicas so one node reboot never takes cluster DNS down.
        topologySpreadConstraints: [
            {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { "app.kubernetes.io/instance": "coredns" } },
            },
        ],
    };
}

/** Spegel reading and writing Talos' containerd registry configuration. */
export function spegelValues(): Record<string, unknown> {
    return {
        spegel: {
            // Talos keeps containerd's per-registry hosts.toml files here (not /etc/containerd/certs.d).
            containerdRegistryConfigPath: "/etc/cri/conf.d/hosts",
            containerdSock: "/run/containerd/containerd.sock",
        },
        service: { registry: { hostPort: 29999 } },
    };
}

/** cert-manager without its CRDs: the CRDs phase installs and owns them. */
export function certManagerValues(): Record<string, unknown> {
    return { crds: { enabled: false }, replicaCount: 1 };
}

/** external-secrets without its CRDs: the CRDs phase installs and owns them. */
export function externalSecretsValues(): Record<string, unknown> {
    return { installCRDs: false };
}

/** The flux-operator; its own CRDs (FluxInstance, ResourceSet, ...) come with the chart. */
export function fluxOperatorValues(): Record<string, unknown> {
    return { installCRDs: true, tolerations: CONTROL_PLANE_TOLERATIONS };
}

/** What the FluxInstance is built from. */
export interface FluxInstanceInputs {
    /** Flux distribution version. */
    fluxVersion: string;
    /** The flux-operator chart version; its manifests artifact pins the distribution. */
    operatorVersion: string;
    gitops: Pick<GitOps, "url" | "ref" | "path" | "credentials">;
}

/**
 * The FluxInstance `flux`, syncing `kubernetes/clusters/<cluster>` of the GitOps repository. The
 * chart's health check is a post-install hook that waits for the instance to be Ready, so the
 * Helm release (and `pulumi up`) only completes once Flux reports Ready.
 */
export function fluxInstanceValues(inputs: FluxInstanceInputs): Record<string, unknown> {
    const operatorVersion = inputs.operatorVersion.replace(/^v/, "");
    const gitops = inputs.gitops;
    return {
        instance: {
            distribution: {
                version: inputs.fluxVersion,
                registry: "ghcr.io/fluxcd",
                // Pinned to the operator release, so the distribution version resolves the same every time.
                artifact: `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v${operatorVersion}`,
            },
            cluster: { type: "kubernetes", networkPolicy: true, multitenant: false, domain: "cluster.local" },
            sync: {
                kind: "GitRepository",
                url: gitops.url,
                ref: gitops.ref,
                path: gitops.path,
                ...(gitops.credentials ? { pullSecret: GIT_CREDENTIALS_SECRET } : {}),
            },
        },
        healthcheck: { enabled: true, timeout: "5m" },
    };
}
