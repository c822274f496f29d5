import { canonicalCidr, cidrContains, cidrCovers, cidrRange, intToIp, ipToInt, rangeContains, rangesOverlap, type Ipv4Range } from "../../planners/ipv4";
import type { Problems } from "../../model";
import { checkBgp, checkMeshIdentity, checkMeshPeers, checkPeerAddresses, checkPeersAgainstPool } from "./mesh-rules";
import { checkCharts, checkClusterSettings, checkFlux, checkGitOps, checkVersions } from "./checks-sources";
import { entries, every, failed, need, type PlatformParts } from "./parts";

/**
 * Cross-field checks of one stack's configuration. Each check adds problems instead of throwing,
 * and runs on whatever of the fields it reads parsed (parts.ts): a whole key, the fields of a key
 * that did not parse whole, the entries of a list one by one. So one run reports field errors and
 * whole-configuration problems together, and a bad field hides no rule that does not read it.
 * Paths are `platform:` keys as written in the stack file.
 */
export function checkPlatform(cfg: PlatformParts, problems: Problems): void {
    const checks = [
        ...[checkNetwork, checkNativeRouting, checkNodes, checkNodeAddresses, checkPool, checkPoolAgainstNodes, checkPinnedAddresses],
        ...[checkMeshIdentity, checkMeshPeers, checkPeersAgainstPool, checkPeerAddresses, checkBgp],
        ...[checkVersions, checkFlux, checkCharts, checkGitOps, checkClusterSettings],
    ];
    for (const check of checks) check(cfg, problems);
}

const P = "platform:";

/** The (path, value) pairs whose value parsed. */
function present(pairs: [string, string | undefined][]): [string, string][] {
    return pairs.filter((p): p is [string, string] => p[1] !== undefined);
}

/** The network and broadcast addresses of a subnet, with their names. */
function edges(cidr: string): [number, string][] {
    const r = cidrRange(cidr);
    return [
        [r.first, "network"],
        [r.last, "broadcast"],
    ];
}

function checkNetwork(cfg: PlatformParts, problems: Problems): void {
    const network = cfg.network ?? {};
    const cidrs = present([
        [`${P}network.nodeCidr`, network.nodeCidr],
        [`${P}network.podCidr`, network.podCidr],
        [`${P}network.serviceCidr`, network.serviceCidr],
    ]);
    for (const [path, cidr] of cidrs) {
        const canonical = canonicalCidr(cidr);
        if (canonical !== cidr) problems.add(path, cidr, `is not canonical (host bits set); did you mean ${canonical}?`);
    }
    for (let i = 0; i < cidrs.length; i++) {
        for (let j = i + 1; j < cidrs.length; j++) {
            const [pa, a] = cidrs[i];
            const [pb, b] = cidrs[j];
            if (rangesOverlap(cidrRange(a), cidrRange(b))) problems.add(pa, a, `overlaps ${pb} ${b}; node, pod and service networks must not overlap`);
        }
    }
    const subnet = need(network, "nodeCidr", "gateway");
    if (subnet) {
        const gateway = ipToInt(subnet.gateway);
        if (!cidrContains(subnet.nodeCidr, subnet.gateway)) {
            problems.add(`${P}network.gateway`, subnet.gateway, `is outside ${P}network.nodeCidr ${subnet.nodeCidr}; the default route must be on the node subnet`);
        }
        for (const [n, name] of edges(subnet.nodeCidr)) {
            if (gateway === n) problems.add(`${P}network.gateway`, subnet.gateway, `is the ${name} address of ${subnet.nodeCidr}; use the router's address on the node subnet`);
        }
    }
    const bond = network.bond;
    if (bond !== undefined && bond.lacpRate !== undefined && bond.mode !== "802.3ad") {
        problems.add(`${P}network.bond.lacpRate`, bond.lacpRate, `is only available in 802.3ad mode (Talos refuses it in ${bond.mode} mode); remove it, or set ${P}network.bond.mode to 802.3ad`);
    }
    const vlanIds = new Set<number>();
    for (const [vlan, i] of entries(network.vlans, "id")) {
        if (vlanIds.has(vlan.id)) problems.add(`${P}network.vlans[${i}].id`, vlan.id, "is listed twice; remove one of them");
        vlanIds.add(vlan.id);
    }
}

function checkNativeRouting(cfg: PlatformParts, problems: Problems): void {
    const cidr = cfg.cilium?.nativeRoutingCidr;
    if (cidr === undefined) return;
    const canonical = canonicalCidr(cidr);
    if (canonical !== cidr) problems.add(`${P}cilium.nativeRoutingCidr`, cidr, `is not canonical (host bits set); did you mean ${canonical}?`);
    const podCidr = cfg.network?.podCidr;
    if (cfg.cilium?.routingMode === "native" && podCidr !== undefined && !cidrCovers(cidr, podCidr)) {
        problems.add(`${P}cilium.nativeRoutingCidr`, cidr, `does not cover ${P}network.podCidr ${podCidr}; in native routing it must span the pod CIDRs of every meshed cluster`);
    }
}

function checkNodes(cfg: PlatformParts, problems: Problems): void {
    const nodes = cfg.nodes;
    if (nodes === undefined) return;
    const seenHost = new Map<string, number>();
    const seenIp = new Map<string, number>();
    const seenMac = new Map<string, string>();
    nodes.forEach((node, i) => {
        if (node === undefined) return;
        const at = `${P}nodes[${i}]`;
        if (node.hostname !== undefined) {
            const prevHost = seenHost.get(node.hostname);
            if (prevHost !== undefined) problems.add(`${at}.hostname`, node.hostname, `duplicates ${P}nodes[${prevHost}].hostname; hostnames must be unique`);
            else seenHost.set(node.hostname, i);
        }
        if (node.ip !== undefined) {
            const prevIp = seenIp.get(node.ip);
            if (prevIp !== undefined) problems.add(`${at}.ip`, node.ip, `duplicates ${P}nodes[${prevIp}].ip; every node needs its own address`);
            else seenIp.set(node.ip, i);
        }
        // A disk that was set but did not parse is reported as such, not as missing.
        if (!failed(node, "installDisk", "installDiskSelector") && (node.installDisk === undefined) === (node.installDiskSelector === undefined)) {
            problems.add(`${at}`, node.hostname, "must set exactly one of installDisk or installDiskSelector (see the README, Stage 1: hardware facts)");
        }
        const linkNames = new Set<string>();
        (node.links ?? []).forEach((link, j) => {
            if (linkNames.has(link.name)) problems.add(`${at}.links[${j}].name`, link.name, "is listed twice for this node");
            linkNames.add(link.name);
            const mac = link.mac.toLowerCase();
            const prevMac = seenMac.get(mac);
            if (prevMac !== undefined) problems.add(`${at}.links[${j}].mac`, link.mac, `duplicates ${prevMac}; MAC addresses are unique per NIC`);
            else seenMac.set(mac, `${at}.links[${j}].mac`);
        });
    });
    // Counted only when every node's role parsed.
    const roles = every(nodes, "role");
    const controlPlanes = roles?.filter((r) => r === "controlplane").length;
    if (controlPlanes !== undefined && (controlPlanes === 0 || controlPlanes % 2 === 0)) {
        const todo = controlPlanes === 0 ? "give one, three or five nodes role: controlplane" : "add or remove one";
        problems.add(`${P}nodes`, undefined, `has ${controlPlanes} control planes; etcd needs an odd number (1, 3, 5) to keep quorum: ${todo}`);
    }
}

function checkNodeAddresses(cfg: PlatformParts, problems: Problems): void {
    const nodeCidr = cfg.network?.nodeCidr;
    if (nodeCidr === undefined) return;
    const nodeRange = cidrRange(nodeCidr);
    for (const [node, i] of entries(cfg.nodes, "ip")) {
        const at = `${P}nodes[${i}].ip`;
        const n = ipToInt(node.ip);
        if (!rangeContains(nodeRange, n)) problems.add(at, node.ip, `is outside ${P}network.nodeCidr ${nodeCidr}; use an address on the node subnet`);
        else if (n === nodeRange.first || n === nodeRange.last) problems.add(at, node.ip, `is the network or broadcast address of ${nodeCidr}; give the node a host address`);
        if (node.ip === cfg.network?.gateway) problems.add(at, node.ip, `is the gateway address ${P}network.gateway; give the node its own address`);
    }
}

const POOL = `${P}cilium.lbPool`;

/** The LB pool as a range, and whether it is one (start not after stop). */
function lbPool(cfg: PlatformParts): { pool: { start: string; stop: string }; range: Ipv4Range; ordered: boolean } | undefined {
    const pool = cfg.cilium?.lbPool;
    if (pool === undefined) return undefined;
    const range = { first: ipToInt(pool.start), last: ipToInt(pool.stop) };
    return { pool, range, ordered: range.first <= range.last };
}

function checkPool(cfg: PlatformParts, problems: Problems): void {
    const lb = lbPool(cfg);
    if (lb === undefined) return;
    if (!lb.ordered) {
        problems.add(POOL, lb.pool, "start is after stop; swap them");
        return;
    }
    const nodeCidr = cfg.network?.nodeCidr;
    if (nodeCidr !== undefined) {
        const nodeRange = cidrRange(nodeCidr);
        if (!rangeContains(nodeRange, lb.range.first) || !rangeContains(nodeRange, lb.range.last)) {
            problems.add(POOL, lb.pool, `is not inside ${P}network.nodeCidr ${nodeCidr}; L2-announced LoadBalancer IPs must be on the node subnet`);
        }
        for (const [n, name] of edges(nodeCidr)) {
            if (rangeContains(lb.range, n)) problems.add(POOL, lb.pool, `contains the ${name} address ${intToIp(n)} of ${P}network.nodeCidr ${nodeCidr}; no host can use it: shrink the pool`);
        }
    }
    const gateway = cfg.network?.gateway;
    if (gateway !== undefined && rangeContains(lb.range, ipToInt(gateway))) problems.add(POOL, lb.pool, `contains the gateway ${gateway}`);
}

function checkPoolAgainstNodes(cfg: PlatformParts, problems: Problems): void {
    const lb = lbPool(cfg);
    if (lb === undefined) return;
    for (const [node, i] of entries(cfg.nodes, "ip")) {
        if (rangeContains(lb.range, ipToInt(node.ip))) problems.add(POOL, lb.pool, `contains ${P}nodes[${i}].ip ${node.ip}; keep node addresses out of the pool`);
    }
}

/** The addresses pinned from the pool: the ClusterMesh API and the Gateway. */
function checkPinnedAddresses(cfg: PlatformParts, problems: Problems): void {
    const lb = lbPool(cfg);
    const nodeCidr = cfg.network?.nodeCidr;
    const pinned = present([
        [`${P}clustermesh.ip`, cfg.clustermesh?.ip],
        [`${P}cilium.gatewayIp`, cfg.cilium?.gatewayIp],
    ]);
    for (const [path, ip] of pinned) {
        const edge = nodeCidr === undefined ? undefined : edges(nodeCidr).find(([n]) => n === ipToInt(ip));
        if (edge) problems.add(path, ip, `is the ${edge[1]} address of ${P}network.nodeCidr ${nodeCidr}; no host can use it: pick another address from the pool`);
        else if (lb?.ordered && !rangeContains(lb.range, ipToInt(ip))) problems.add(path, ip, `is outside ${POOL} ${lb.pool.start}-${lb.pool.stop}; LB-IPAM can only assign addresses from the pool`);
    }
    const gatewayIp = cfg.cilium?.gatewayIp;
    if (gatewayIp !== undefined && gatewayIp === cfg.clustermesh?.ip) {
        problems.add(`${P}cilium.gatewayIp`, gatewayIp, `equals ${P}clustermesh.ip; the Gateway and the ClusterMesh API need different addresses`);
    }
}
