import type { MeshAuthMode } from "./platform";

/**
 * What one cluster tells the other about itself through its stack outputs (plain, no secrets):
 * identity, networks, mesh endpoint and the peers it declares.
 */
export interface MeshFacts {
    cluster: { name: string; id: number };
    apiEndpoint: string;
    nodeIps: { controlplane: string[]; worker: string[] };
    podCidr: string;
    serviceCidr: string;
    lbPool: { start: string; stop: string };
    clustermesh: {
        ip: string;
        port: number;
        maxConnectedClusters: number;
        authMode: MeshAuthMode | string;
        routingMode: string;
        nativeRoutingCidr: string;
    };
    meshPeers: { name: string; id: number; ip: string; port: number }[];
}
