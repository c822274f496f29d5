import { canonicalCidr, cidrContains, cidrCovers, cidrRange, intToIp, ipToInt, rangeContains, rangesOverlap, type Ipv4Range } from "../../planners/ipv4";
import type { PlatformInput } from "./schema";
import type { Problems } from "../../model";
import { checkBgp, checkMeshIdentity, checkMeshPeers, checkPeerAddresses, checkPeersAgainstPool } from "./mesh-rules";
import { checkCharts, checkClusterSettings, checkFlux, checkGitOps, checkVersions } from "./checks-sources";

/**
 * Cross-field checks of one stack's parsed configuration. Each check adds problems instead of
 * throwing, and runs as soon as the keys it reads parsed, whatever is wrong with the others: so
 * one run reports field errors and whole-configuration problems together. Paths are `platform:`
 * keys as written in the stack file.
 */
export function checkPlatform(cfg: Partial<PlatformInput>, problems: Problems): void {
    const run = <K extends keyof PlatformInput>(needs: K[], check: (c: Pick<PlatformInput, K>, p: Problems) => void): void => {
        if (needs.every((k) => cfg[k] !== undefined)) check(cfg as Pick<PlatformInput, K>, problems);
    };
    run(["network"], checkNetwork);
    run(["network", "cilium"], checkNativeRouting);
    run(["nodes"], checkNodes);
    run(["network", "nodes"], checkNodeAddresses);
    run(["cilium"], checkPoolOrder);
    run(["network", "cilium"], checkPoolOnSubnet);
    run(["nodes", "cilium"], checkPoolAgainstNodes);
    run(["network", "cilium", "clustermesh"], checkPinnedAddresses);
    run(["cluster", "clustermesh"], checkMeshIdentity);
    run(["clustermesh"], checkMeshPeers);
    run(["cilium", "clustermesh"], checkPeersAgainstPool);
    run(["nodes", "clustermesh"], checkPeerAddresses);
    run(["bgp", "nodes", "cilium", "clustermesh"], checkBgp);
    run(["versions"], checkVersions);
    run(["versions", "charts"], checkFlux);
    run(["charts"], checkCharts);
    run(["gitops"], checkGitOps);
    run(["clusterSettings"], (c) => checkClusterSettings(c, cfg, problems));
}

const P = "platform:";

/** The network and broadcast addresses of a subnet, with their names. */
function edges(cidr: string): [number, string][] {
    const r = cidrRange(cidr);
    return [
        [r.first, "network"],
        [r.last, "broadcast"],
    ];
}

function checkNetwork(cfg: Pick<PlatformInput, "network">, problems: Problems): void {
    const { network } = cfg;
    const cidrs: [string, string][] = [
        [`${P}network.nodeCidr`, network.nodeCidr],
        [`${P}network.podCidr`, network.podCidr],
        [`${P}network.serviceCidr`, network.serviceCidr],
    ];
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
    const gateway = ipToInt(network.gateway);
    if (!cidrContains(network.nodeCidr, network.gateway)) {
        problems.add(`${P}network.gateway`, network.gateway, `is outside ${P}network.nodeCidr ${network.nodeCidr}; the default route must be on the node subnet`);
    }
    for (const [n, name] of edges(network.nodeCidr)) {
        if (gateway === n) problems.add(`${P}network.gateway`, network.gateway, `is the ${name} address of ${network.nodeCidr}; use the router's address on the node subnet`);
    }
    if (network.bond.lacpRate !== undefined && network.bond.mode !== "802.3ad") {
        problems.add(
            `${P}network.bond.lacpRate`,
            network.bond.lacpRate,
            `is only available in 802.3ad mode (Talos refuses it in ${network.bond.mode} mode); remove it, or set ${P}network.bond.mode to 802.3ad`,
        );
    }
    const vlanIds = new Set<number>();
    network.vlans.forEach((vlan, i) => {
        if (vlanIds.has(vlan.id)) problems.add(`${P}network.vlans[${i}].id`, vlan.id, "is listed twice; remove one of them");
        vlanIds.add(vlan.id);
    });
}

function checkNativeRouting(cfg: Pick<PlatformInput, "network" | "cilium">, problems: Problems): void {
    const cidr = cfg.cilium.nativeRoutingCidr;
    const canonical = canonicalCidr(cidr);
    if (canonical !== cidr) problems.add(`${P}cilium.nativeRoutingCidr`, cidr, `is not canonical (host bits set); did you mean ${canonical}?`);
    if (cfg.cilium.routingMode === "native" && !cidrCovers(cidr, cfg.network.podCidr)) {
        problems.add(`${P}cilium.nativeRoutingCidr`, cidr, `does not cover ${P}network.podCidr ${cfg.network.podCidr}; in native routing it must span the pod CIDRs of every meshed cluster`);
    }
}

function checkNodes(cfg: Pick<PlatformInput, "nodes">, problems: Problems): void {
    const seenHost = new Map<string, number>();
    const seenIp = new Map<string, number>();
    const seenMac = new Map<string, string>();
    cfg.nodes.forEach((node, i) => {
        const at = `${P}nodes[${i}]`;
        const prevHost = seenHost.get(node.hostname);
        if (prevHost !== undefined) problems.add(`${at}.hostname`, node.hostname, `duplicates ${P}nodes[${prevHost}].hostname; hostnames must be unique`);
        else seenHost.set(node.hostname, i);

        const prevIp = seenIp.get(node.ip);
        if (prevIp !== undefined) problems.add(`${at}.ip`, node.ip, `duplicates ${P}nodes[${prevIp}].ip; every node needs its own address`);
        else seenIp.set(node.ip, i);

        if ((node.installDisk === undefined) === (node.installDiskSelector === undefined)) {
            problems.add(`${at}`, node.hostname, "must set exactly one of installDisk or installDiskSelector (see the README, Stage 1: hardware facts)");
        }
        const linkNames = new Set<string>();
        node.links.forEach((link, j) => {
            if (linkNames.has(link.name)) problems.add(`${at}.links[${j}].name`, link.name, "is listed twice for this node");
            linkNames.add(link.name);
            const mac = link.mac.toLowerCase();
            const prevMac = seenMac.get(mac);
            if (prevMac !== undefined) problems.add(`${at}.links[${j}].mac`, link.mac, `duplicates ${prevMac}; MAC addresses are unique per NIC`);
            else seenMac.set(mac, `${at}.links[${j}].mac`);
        });
    });
    const controlPlanes = cfg.nodes.filter((n) => n.role === "controlplane").length;
    if (controlPlanes === 0 || controlPlanes % 2 === 0) {
        const todo = controlPlanes === 0 ? "give one, three or five nodes role: controlplane" : "add or remove one";
        problems.add(`${P}nodes`, undefined, `has ${controlPlanes} control planes; etcd needs an odd number (1, 3, 5) to keep quorum: ${todo}`);
    }
}

function checkNodeAddresses(cfg: Pick<PlatformInput, "network" | "nodes">, problems: Problems): void {
    const nodeRange = cidrRange(cfg.network.nodeCidr);
    cfg.nodes.forEach((node, i) => {
        const at = `${P}nodes[${i}].ip`;
        const n = ipToInt(node.ip);
        if (!rangeContains(nodeRange, n)) problems.add(at, node.ip, `is outside ${P}network.nodeCidr ${cfg.network.nodeCidr}; use an address on the node subnet`);
        else if (n === nodeRange.first || n === nodeRange.last) problems.add(at, node.ip, `is the network or broadcast address of ${cfg.network.nodeCidr}; give the node a host address`);
        if (node.ip === cfg.network.gateway) problems.add(at, node.ip, `is the gateway address ${P}network.gateway; give the node its own address`);
    });
}

const pool = (c: Pick<PlatformInput, "cilium">): Ipv4Range => ({ first: ipToInt(c.cilium.lbPool.start), last: ipToInt(c.cilium.lbPool.stop) });
const POOL = `${P}cilium.lbPool`;

function checkPoolOrder(cfg: Pick<PlatformInput, "cilium">, problems: Problems): void {
    if (pool(cfg).first > pool(cfg).last) problems.add(POOL, cfg.cilium.lbPool, "start is after stop; swap them");
}

function checkPoolOnSubnet(cfg: Pick<PlatformInput, "network" | "cilium">, problems: Problems): void {
    const p = pool(cfg);
    if (p.first > p.last) return;
    const { nodeCidr, gateway } = cfg.network;
    const nodeRange = cidrRange(nodeCidr);
    if (!rangeContains(nodeRange, p.first) || !rangeContains(nodeRange, p.last)) {
        problems.add(POOL, cfg.cilium.lbPool, `is not inside ${P}network.nodeCidr ${nodeCidr}; L2-announced LoadBalancer IPs must be on the node subnet`);
    }
    for (const [n, name] of edges(nodeCidr)) {
        if (rangeContains(p, n)) problems.add(POOL, cfg.cilium.lbPool, `contains the ${name} address ${intToIp(n)} of ${P}network.nodeCidr ${nodeCidr}; no host can use it: shrink the pool`);
    }
    if (rangeContains(p, ipToInt(gateway))) problems.add(POOL, cfg.cilium.lbPool, `contains the gateway ${gateway}`);
}

function checkPoolAgainstNodes(cfg: Pick<PlatformInput, "nodes" | "cilium">, problems: Problems): void {
    const p = pool(cfg);
    cfg.nodes.forEach((node, i) => {
        if (rangeContains(p, ipToInt(node.ip))) problems.add(POOL, cfg.cilium.lbPool, `contains ${P}nodes[${i}].ip ${node.ip}; keep node addresses out of the pool`);
    });
}

/** The addresses pinned from the pool: the ClusterMesh API and the Gateway. */
function checkPinnedAddresses(cfg: Pick<PlatformInput, "network" | "cilium" | "clustermesh">, problems: Problems): void {
    const p = pool(cfg);
    const { start, stop } = cfg.cilium.lbPool;
    const pinned: [string, string][] = [
        [`${P}clustermesh.ip`, cfg.clustermesh.ip],
        [`${P}cilium.gatewayIp`, cfg.cilium.gatewayIp],
    ];
    for (const [path, ip] of pinned) {
        const edge = edges(cfg.network.nodeCidr).find(([n]) => n === ipToInt(ip));
        if (edge) problems.add(path, ip, `is the ${edge[1]} address of ${P}network.nodeCidr ${cfg.network.nodeCidr}; no host can use it: pick another address from the pool`);
        else if (p.first <= p.last && !rangeContains(p, ipToInt(ip))) problems.add(path, ip, `is outside ${POOL} ${start}-${stop}; LB-IPAM can only assign addresses from the pool`);
    }
    if (cfg.clustermesh.ip === cfg.cilium.gatewayIp) {
        problems.add(`${P}cilium.gatewayIp`, cfg.cilium.gatewayIp, `equals ${P}clustermesh.ip; the Gateway and the ClusterMesh API need different addresses`);
    }
}
