import type { CiliumSettings, ClusterIdentity, ClusterMeshSettings, MeshFacts, MeshPeerSpec } from "../model";

/**
 * Helm values for Cilium on Talos, kube-proxy free over KubePrism, with ClusterMesh. Pure: the
 * shared CA's certificate and key are passed in as opaque leaves (the caller passes Pulumi
 * Outputs, the key a secret one), so the key stays a secret leaf inside otherwise plain values.
 */

/** The shared Cilium CA, base64-encoded PEM, as the chart's `tls.ca` takes it. */
export interface MeshCa<T> {
    cert: T;
    key: T;
}

/** A ClusterMesh peer as the chart lists it (1.18: a list; the dict form is 1.19+). */
export interface MeshPeer {
    name: string;
    port: number;
    ips: string[];
}

/** Namespace SPIRE runs in when mutual authentication is on; created by the program (PSA privileged). */
export const SPIRE_NAMESPACE = "cilium-spire";

/**
 * The SPIRE server pod runs as root. The chart (1.18.3) sets no security context, so SPIRE
 * 1.12.4 runs as its image's uid 1000 and cannot bind its API socket in the chart's root-owned
 * hostPath (/var/run/spire-server/sockets): the server crash-loops and authenticated policies drop
 * traffic (cilium/cilium#40533). Pod level on purpose: the chart's `cilium-init` sidecar creates
 * Cilium's registration entries through /proc/<server pid>/root, which the kernel allows only to a
 * process of the same uid and gid. The namespace is privileged (components/cilium.ts).
 */
export const SPIRE_SERVER_POD_SECURITY_CONTEXT = { runAsUser: 0, runAsGroup: 0 };

/** Agent capabilities Talos allows: the chart default minus SYS_MODULE (no module loading on Talos). */
export const CILIUM_AGENT_CAPABILITIES = ["CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"];

/**
 * The peers this cluster connects to: from the stack config, except that the peer whose stack was
 * read (`remote`) is listed with the endpoint that stack exports (checked to match the config).
 */
export function meshPeers(peers: MeshPeerSpec[], remote?: MeshFacts): MeshPeer[] {
    return peers.map((p) =>
        remote && p.name === remote.cluster.name
            ? { name: remote.cluster.name, port: remote.clustermesh.port, ips: [remote.clustermesh.ip] }
            : { name: p.name, port: p.port, ips: [p.ip] },
    );
}

/** What Cilium's values are built from. */
export interface CiliumInputs {
    cluster: Pick<ClusterIdentity, "name" | "id">;
    cilium: CiliumSettings;
    clustermesh: Pick<ClusterMeshSettings, "ip" | "maxConnectedClusters" | "authMode">;
}

/** Values for the `cilium` chart. `ca` is omitted only when no shared CA exists (single cluster). */
export function ciliumValues<T>(inputs: CiliumInputs, peers: MeshPeer[], ca?: MeshCa<T>): Record<string, unknown> {
    const { cilium, clustermesh } = inputs;
    const spire = cilium.mutualAuth;
    return {
        cluster: { name: inputs.cluster.name, id: inputs.cluster.id },
        ipam: { mode: "kubernetes" },
        kubeProxyReplacement: true,
        k8sServiceHost: cilium.k8sServiceHost,
        k8sServicePort: cilium.k8sServicePort,
        securityContext: {
            capabilities: {
                ciliumAgent: CILIUM_AGENT_CAPABILITIES,
                cleanCiliumState: ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"],
            },
        },
        // Talos mounts cgroup2 and bpffs itself. Note the camelCase key: `automount` is silently ignored.
        cgroup: { autoMount: { enabled: false }, hostRoot: "/sys/fs/cgroup" },
        routingMode: cilium.routingMode,
        ...(cilium.routingMode === "native" ? { ipv4NativeRoutingCIDR: cilium.nativeRoutingCidr, autoDirectNodeRoutes: true } : {}),
        // With eBPF masquerading, host routing must be legacy for Talos' host DNS forwarding to work.
        bpf: cilium.bpfMasquerade ? { masquerade: true, hostLegacyRouting: true } : { masquerade: false },
        bgpControlPlane: { enabled: true },
        // The mesh and Gateway LB IPs are on the nodes' own subnet: peers ARP for them.
        l2announcements: { enabled: true },
        k8sClientRateLimit: { qps: 50, burst: 100 },
        gatewayAPI: {
            enabled: true,
            enableAlpn: true,
            enableAppProtocol: true,
            // "auto" decides at render time and silently skips the class if the CRD was not visible.
            gatewayClass: { create: "true" },
        },
        encryption: { enabled: true, type: "wireguard" },
        hubble: {
            enabled: true,
            relay: { enabled: true },
            // cronJob runs as a Helm hook that deadlocks under Helm's wait on 1.18.3 (cilium#42045).
            tls: { auto: { enabled: true, method: "helm" } },
        },
        operator: {
            replicas: 2,
            rollOutPods: true,
            prometheus: { enabled: true, serviceMonitor: { enabled: true } },
        },
        rollOutCiliumPods: true,
        prometheus: { enabled: true, serviceMonitor: { enabled: true, trustCRDsExist: true } },
        clustermesh: {
            useAPIServer: true,
            maxConnectedClusters: clustermesh.maxConnectedClusters,
            // Policies without a cluster selector select local endpoints only (the 1.19 default).
            policyDefaultLocalCluster: true,
            config: { enabled: true, domain: "mesh.cilium.io", clusters: peers },
            apiserver: {
                kvstoremesh: { enabled: true },
                service: { type: "LoadBalancer", annotations: { "lbipam.cilium.io/ips": clustermesh.ip } },
                tls: {
                    authMode: clustermesh.authMode,
                    // Certificates are issued by the chart from the shared CA at install/upgrade: no hook
                    // (cronJob deadlocks on 1.18.3) and no cert-manager (installed after Cilium).
                    auto: { enabled: true, method: "helm" },
                },
            },
        },
        ...(ca ? { tls: { ca: { cert: ca.cert, key: ca.key } } } : {}),
        authentication: {
            mutual: {
                spire: {
                    enabled: spire.enabled,
                    ...(spire.enabled
                        ? {
                              install: {
                                  enabled: true,
                                  namespace: SPIRE_NAMESPACE,
                                  existingNamespace: true,
                                  server: {
                                      // No StorageClass at bootstrap: without one the chart mounts no data volume
                                      // at all (no PVC to wait for forever); the data lives in the container.
                                      dataStorage: spire.storageClass ? { enabled: true, storageClass: spire.storageClass } : { enabled: false },
                                      podSecurityContext: SPIRE_SERVER_POD_SECURITY_CONTEXT,
                                  },
                              },
                          }
                        : {}),
                },
            },
        },
    };
}
