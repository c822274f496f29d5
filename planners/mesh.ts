import type { MeshFacts, PlatformConfig } from "../model";

/** What this cluster's stack exports about itself for the other clusters of the mesh (see model/mesh.ts). */
export function meshFacts(cfg: Pick<PlatformConfig, "cluster" | "controlPlanes" | "workers" | "network" | "cilium" | "clustermesh">): MeshFacts {
    return {
        cluster: { name: cfg.cluster.name, id: cfg.cluster.id },
        apiEndpoint: cfg.cluster.endpoint,
        nodeIps: { controlplane: cfg.controlPlanes.map((n) => n.ip), worker: cfg.workers.map((n) => n.ip) },
        podCidr: cfg.network.podCidr,
        serviceCidr: cfg.network.serviceCidr,
        lbPool: { start: cfg.cilium.lbPool.start, stop: cfg.cilium.lbPool.stop },
        clustermesh: {
            ip: cfg.clustermesh.ip,
            port: cfg.clustermesh.port,
            maxConnectedClusters: cfg.clustermesh.maxConnectedClusters,
            authMode: cfg.clustermesh.authMode,
            routingMode: cfg.cilium.routingMode,
            nativeRoutingCidr: cfg.cilium.nativeRoutingCidr,
        },
        meshPeers: cfg.clustermesh.peers.map((p) => ({ name: p.name, id: p.id, ip: p.ip, port: p.port })),
    };
}
