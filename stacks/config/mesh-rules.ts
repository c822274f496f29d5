import { cidrCovers, cidrRange, ipToInt, rangesOverlap } from "../../planners/ipv4";
import type { MeshFacts, Problems } from "../../model";
import { entries, type PlatformParts } from "./parts";

/**
 * Every ClusterMesh rule, in one place and one style: the peers this stack declares (checked with
 * the rest of the stack file) and the fit between this stack and the stack it reads the mesh CA
 * from (checked once that stack's outputs are read). Both add to the same problem list. The
 * single-stack rules run on whatever of the keys parsed (parts.ts): the peers one by one, each rule
 * on the fields it reads.
 */

const P = "platform:";

/**
 * This cluster's name and id against the declared peers. A peer entry with another endpoint
 * describes another cluster, whose stack owns its name and id: a clash then most likely means this
 * stack's platform:cluster was copied from it, so that is the key named (the message says how to
 * tell). An entry with this cluster's own endpoint is this cluster listed as its own peer.
 */
export function checkMeshIdentity(cfg: PlatformParts, problems: Problems): void {
    const own = cfg.clustermesh?.ip;
    // Which entry is this cluster itself needs its own endpoint.
    if (own === undefined) return;
    const { name, id } = cfg.cluster ?? {};
    for (const [peer, i] of entries(cfg.clustermesh?.peers, "ip")) {
        const at = `${P}clustermesh.peers[${i}]`;
        if (peer.ip === own) {
            if ((name !== undefined && peer.name === name) || (id !== undefined && peer.id === id)) {
                problems.add(at, peer, `describes this cluster itself (its ${P}clustermesh.ip and its own name or id); list only the other clusters`);
            } else {
                problems.add(`${at}.ip`, peer.ip, `is this cluster's own ${P}clustermesh.ip; give the peer's ClusterMesh API address`);
            }
            continue;
        }
        const fix = (key: string) =>
            `meshed clusters need different ${key}s: if this stack file was copied from ${peer.name ?? "that cluster"}'s, give this cluster its own ${key}; if the peer entry is the wrong one, set ${at}.${key} to the ${key} in that cluster's own stack (${P}cluster.${key})`;
        if (name !== undefined && peer.name === name) problems.add(`${P}cluster.name`, name, `is also the name of mesh peer ${at} (endpoint ${peer.ip}); ${fix("name")}`);
        if (id !== undefined && peer.id === id) problems.add(`${P}cluster.id`, id, `is also the id of mesh peer ${at}${peer.name === undefined ? "" : ` (${peer.name})`}; ${fix("id")}`);
    }
}

/** The declared peers among themselves. */
export function checkMeshPeers(cfg: PlatformParts, problems: Problems): void {
    const mesh = cfg.clustermesh;
    if (mesh === undefined) return;
    const names = new Set<string>();
    const ids = new Set<number>();
    (mesh.peers ?? []).forEach((peer, i) => {
        const at = `${P}clustermesh.peers[${i}]`;
        if (peer?.name !== undefined) {
            if (names.has(peer.name)) problems.add(`${at}.name`, peer.name, "is listed twice");
            names.add(peer.name);
        }
        if (peer?.id !== undefined) {
            if (ids.has(peer.id)) problems.add(`${at}.id`, peer.id, "is used by another peer");
            ids.add(peer.id);
            if (mesh.maxConnectedClusters !== undefined && peer.id > mesh.maxConnectedClusters) {
                problems.add(`${at}.id`, peer.id, `exceeds ${P}clustermesh.maxConnectedClusters ${mesh.maxConnectedClusters}`);
            }
        }
    });
    if (mesh.caStack !== undefined && mesh.peers !== undefined && mesh.peers.length === 0) {
        problems.add(`${P}clustermesh.caStack`, mesh.caStack, `is set but ${P}clustermesh.peers is empty; declare the cluster you mesh with`);
    }
}

/** Peer endpoints against this cluster's LB pool. */
export function checkPeersAgainstPool(cfg: PlatformParts, problems: Problems): void {
    const pool = cfg.cilium?.lbPool;
    const own = cfg.clustermesh?.ip;
    if (pool === undefined || own === undefined) return;
    const { start, stop } = pool;
    for (const [peer, i] of entries(cfg.clustermesh?.peers, "ip")) {
        const n = ipToInt(peer.ip);
        if (peer.ip !== own && ipToInt(start) <= n && n <= ipToInt(stop)) {
            problems.add(`${P}clustermesh.peers[${i}].ip`, peer.ip, `is inside this cluster's ${P}cilium.lbPool ${start}-${stop}; each cluster announces only its own pool`);
        }
    }
}

/** Peer endpoints against this cluster's node addresses. */
export function checkPeerAddresses(cfg: PlatformParts, problems: Problems): void {
    const nodeIps = new Set(entries(cfg.nodes, "ip").map(([n]) => n.ip));
    for (const [peer, i] of entries(cfg.clustermesh?.peers, "ip")) {
        if (nodeIps.has(peer.ip)) problems.add(`${P}clustermesh.peers[${i}].ip`, peer.ip, "is one of this cluster's node addresses");
    }
}

/** The BGP peer is a router: not a node of this cluster, nor an address it announces. */
export function checkBgp(cfg: PlatformParts, problems: Problems): void {
    const at = `${P}bgp.peerAddress`;
    const peer = cfg.bgp?.peerAddress;
    if (peer === undefined) return;
    const node = entries(cfg.nodes, "ip").find(([n]) => n.ip === peer);
    if (node) problems.add(at, peer, `is ${P}nodes[${node[1]}].ip; BGP peers with the router, not with a node of this cluster`);
    const pool = cfg.cilium?.lbPool;
    if (peer === cfg.clustermesh?.ip) problems.add(at, peer, `is ${P}clustermesh.ip, an address this cluster announces; give the router's address`);
    else if (pool !== undefined && ipToInt(pool.start) <= ipToInt(peer) && ipToInt(peer) <= ipToInt(pool.stop)) {
        problems.add(at, peer, `is inside ${P}cilium.lbPool ${pool.start}-${pool.stop}, addresses this cluster announces; give the router's address`);
    }
}

/**
 * Everything that would break a mesh between `local` (this stack) and `remote` (the stack named
 * `remoteStack`), as problems on this stack's keys that say what to change.
 */
export function checkMeshPair(local: MeshFacts, remote: MeshFacts, remoteStack: string, problems: Problems): void {
    const add = (path: string, value: unknown, message: string) => problems.add(path, value, message);
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
}
