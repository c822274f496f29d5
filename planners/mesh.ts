import { z } from "zod";
import type { PlatformConfig } from "../stacks/config/derive";
import type { ConfigProblem } from "../stacks/config/problems";
import { cidrCovers, cidrRange, ipToInt, rangesOverlap } from "./ipv4";

/**
 * What one cluster tells the other about itself through its stack outputs, and the checks that
 * two clusters can form one mesh. Pure: the apps stack runs the checks on its own config and the
 * outputs it reads from infra, before it creates anything.
 */

/**
 * A cluster's identity and networks, as every stack exports them (plain, no secrets). The schema
 * also checks the shape of what another stack exported before it is trusted.
 */
export const MeshFactsSchema = z.object({
    cluster: z.object({ name: z.string(), id: z.number() }),
    apiEndpoint: z.string(),
    nodeIps: z.object({ controlplane: z.array(z.string()), worker: z.array(z.string()) }),
    podCidr: z.string(),
    serviceCidr: z.string(),
    lbPool: z.object({ start: z.string(), stop: z.string() }),
    clustermesh: z.object({
        ip: z.string(),
        port: z.number(),
        maxConnectedClusters: z.number(),
        authMode: z.string(),
        routingMode: z.string(),
        nativeRoutingCidr: z.string(),
    }),
    meshPeers: z.array(z.object({ name: z.string(), id: z.number(), ip: z.string(), port: z.number() })),
});

export type MeshFacts = z.infer<typeof MeshFactsSchema>;

/** The stack outputs that carry the facts, one per top-level key. */
export const MESH_OUTPUTS = Object.keys(MeshFactsSchema.shape) as (keyof MeshFacts)[];

/** This cluster's facts, from its config. */
export function meshFacts(cfg: PlatformConfig): MeshFacts {
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

/**
 * Everything that would break a mesh between `local` (this stack) and `remote` (the stack named
 * `remoteStack`), as problems on this stack's keys that say what to change.
 */
export function checkMeshPair(local: MeshFacts, remote: MeshFacts, remoteStack: string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (path: string, value: unknown, message: string) => problems.push({ path, value, message });
    const theirs = (key: string) => `${key} of stack ${remoteStack}`;

    if (local.cluster.name === remote.cluster.name) add("platform:cluster.name", local.cluster.name, `equals the cluster name of stack ${remoteStack}; meshed clusters need different names`);
    if (local.cluster.id === remote.cluster.id) add("platform:cluster.id", local.cluster.id, `equals the cluster id of stack ${remoteStack}; meshed clusters need different ids`);

    const networks: [string, string, string][] = [
        ["podCidr", local.podCidr, "pod"],
        ["serviceCidr", local.serviceCidr, "service"],
    ];
    for (const [key, mine] of networks) {
        for (const [otherKey, other] of [["podCidr", remote.podCidr], ["serviceCidr", remote.serviceCidr]] as const) {
            if (rangesOverlap(cidrRange(mine), cidrRange(other))) {
                add(`platform:network.${key}`, mine, `overlaps the ${theirs(otherKey)} (${other}); meshed clusters route each other's pods and services, so their CIDRs must be disjoint`);
            }
        }
    }

    const remoteNodes = new Set([...remote.nodeIps.controlplane, ...remote.nodeIps.worker]);
    for (const ip of [...local.nodeIps.controlplane, ...local.nodeIps.worker]) {
        if (remoteNodes.has(ip)) add("platform:nodes", ip, `is also a node address of stack ${remoteStack}; a node belongs to one cluster`);
    }

    const pool = (p: MeshFacts["lbPool"]) => ({ first: ipToInt(p.start), last: ipToInt(p.stop) });
    if (rangesOverlap(pool(local.lbPool), pool(remote.lbPool))) {
        add("platform:cilium.lbPool", local.lbPool, `overlaps the LB pool ${remote.lbPool.start}-${remote.lbPool.stop} of stack ${remoteStack}; both clusters announce on one L2, so their pools must be disjoint`);
    }

    const mine = local.clustermesh;
    const other = remote.clustermesh;
    if (mine.maxConnectedClusters !== other.maxConnectedClusters) {
        add("platform:clustermesh.maxConnectedClusters", mine.maxConnectedClusters, `differs from ${other.maxConnectedClusters} in stack ${remoteStack}; it must be equal in every meshed cluster`);
    }
    if (mine.routingMode !== other.routingMode) {
        add("platform:cilium.routingMode", mine.routingMode, `differs from ${other.routingMode} in stack ${remoteStack}; meshed clusters must use the same datapath mode`);
    }
    if (mine.authMode !== other.authMode) {
        add("platform:clustermesh.authMode", mine.authMode, `differs from ${other.authMode} in stack ${remoteStack}; both sides must authenticate the same way`);
    }
    // (That it covers this cluster's own pods is a single-stack check.)
    if (mine.routingMode === "native") {
        if (!cidrCovers(mine.nativeRoutingCidr, remote.podCidr)) {
            add("platform:cilium.nativeRoutingCidr", mine.nativeRoutingCidr, `does not cover stack ${remoteStack}'s pod CIDR ${remote.podCidr}; in native routing it must span the pod CIDRs of every meshed cluster`);
        }
        if (mine.nativeRoutingCidr !== other.nativeRoutingCidr && !cidrCovers(other.nativeRoutingCidr, local.podCidr)) {
            add("platform:cilium.nativeRoutingCidr", mine.nativeRoutingCidr, `stack ${remoteStack} routes ${other.nativeRoutingCidr} natively, which misses this cluster's pod CIDR ${local.podCidr}; fix it there`);
        }
    }

    // Each side must list the other exactly as the other is.
    const declared = local.meshPeers.find((p) => p.name === remote.cluster.name);
    const expected = { name: remote.cluster.name, id: remote.cluster.id, ip: other.ip, port: other.port };
    if (!declared) {
        add("platform:clustermesh.peers", local.meshPeers.map((p) => p.name), `does not list ${remote.cluster.name}, the cluster of stack ${remoteStack}; add ${JSON.stringify(expected)}`);
    } else if (declared.id !== expected.id || declared.ip !== expected.ip || declared.port !== expected.port) {
        add(`platform:clustermesh.peers[${local.meshPeers.indexOf(declared)}]`, declared, `does not match what stack ${remoteStack} exports (${JSON.stringify(expected)})`);
    }
    const back = remote.meshPeers.find((p) => p.name === local.cluster.name);
    const me = { name: local.cluster.name, id: local.cluster.id, ip: mine.ip, port: mine.port };
    if (!back) {
        add("platform:cluster.name", local.cluster.name, `is not among the mesh peers stack ${remoteStack} declares (${remote.meshPeers.map((p) => p.name).join(", ") || "none"}); add ${JSON.stringify(me)} to its platform:clustermesh.peers and run pulumi up there first`);
    } else if (back.id !== me.id || back.ip !== me.ip || back.port !== me.port) {
        add("platform:clustermesh", me, `stack ${remoteStack} declares this cluster as ${JSON.stringify(back)}; make the two agree`);
    }
    return problems;
}
