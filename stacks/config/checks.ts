import {
    canonicalCidr,
    cidrContains,
    cidrCovers,
    cidrRange,
    ipToInt,
    rangeContains,
    rangesOverlap,
    type Ipv4Range,
} from "../../planners/ipv4";
import type { PlatformInput } from "./schema";
import type { Problems } from "../../model";
import { kubernetesSupportProblem, SUPPORTED_TALOS_MINORS, talosRelease } from "../../planners/versions";
import { checkMeshPeers } from "./mesh-rules";

/**
 * Cross-field checks of one stack's parsed configuration. Each check adds problems instead of
 * throwing so the user sees every problem at once. Paths are `platform:` keys as written in the
 * stack file.
 */
export function checkPlatform(cfg: Partial<PlatformInput>, problems: Problems): void {
    // A check runs only when every key it reads parsed; field errors of the others are reported already.
    const run = <K extends keyof PlatformInput>(needs: K[], check: (c: Pick<PlatformInput, K>, p: Problems) => void): void => {
        if (needs.every((k) => cfg[k] !== undefined)) check(cfg as Pick<PlatformInput, K>, problems);
    };
    run(["network", "cilium"], checkCidrs);
    run(["network", "nodes"], checkNodes);
    run(["network", "nodes", "cilium", "clustermesh"], checkLoadBalancer);
    run(["cluster", "cilium", "clustermesh", "nodes"], checkMeshPeers);
    run(["versions"], checkVersions);
    run(["network", "gitops"], checkMisc);
}

const P = "platform:";

function checkCidrs(cfg: Pick<PlatformInput, "network" | "cilium">, problems: Problems): void {
    const cidrs: [string, string][] = [
        [`${P}network.nodeCidr`, cfg.network.nodeCidr],
        [`${P}network.podCidr`, cfg.network.podCidr],
        [`${P}network.serviceCidr`, cfg.network.serviceCidr],
        [`${P}cilium.nativeRoutingCidr`, cfg.cilium.nativeRoutingCidr],
    ];
    for (const [path, cidr] of cidrs) {
        const canonical = canonicalCidr(cidr);
        if (canonical !== cidr) problems.add(path, cidr, `is not canonical (host bits set); did you mean ${canonical}?`);
    }
    // Node, pod and service networks must be disjoint; the native-routing CIDR is meant to span pods.
    const disjoint = cidrs.slice(0, 3);
    for (let i = 0; i < disjoint.length; i++) {
        for (let j = i + 1; j < disjoint.length; j++) {
            const [pa, a] = disjoint[i];
            const [pb, b] = disjoint[j];
            if (rangesOverlap(cidrRange(a), cidrRange(b))) {
                problems.add(pa, a, `overlaps ${pb} ${b}; node, pod and service networks must not overlap`);
            }
        }
    }
    if (!cidrContains(cfg.network.nodeCidr, cfg.network.gateway)) {
        problems.add(`${P}network.gateway`, cfg.network.gateway, `is outside ${P}network.nodeCidr ${cfg.network.nodeCidr}; the default route must be on the node subnet`);
    }
    if (cfg.cilium.routingMode === "native" && !cidrCovers(cfg.cilium.nativeRoutingCidr, cfg.network.podCidr)) {
        problems.add(
            `${P}cilium.nativeRoutingCidr`,
            cfg.cilium.nativeRoutingCidr,
            `does not cover ${P}network.podCidr ${cfg.network.podCidr}; in native routing it must span the pod CIDRs of every meshed cluster`,
        );
    }
}

function checkNodes(cfg: Pick<PlatformInput, "network" | "nodes">, problems: Problems): void {
    const seenHost = new Map<string, number>();
    const seenIp = new Map<string, number>();
    const seenMac = new Map<string, string>();
    const nodeRange = cidrRange(cfg.network.nodeCidr);
    cfg.nodes.forEach((node, i) => {
        const at = `${P}nodes[${i}]`;
        const prevHost = seenHost.get(node.hostname);
        if (prevHost !== undefined) problems.add(`${at}.hostname`, node.hostname, `duplicates ${P}nodes[${prevHost}].hostname; hostnames must be unique`);
        else seenHost.set(node.hostname, i);

        const prevIp = seenIp.get(node.ip);
        if (prevIp !== undefined) problems.add(`${at}.ip`, node.ip, `duplicates ${P}nodes[${prevIp}].ip; every node needs its own address`);
        else seenIp.set(node.ip, i);

        const n = ipToInt(node.ip);
        if (!rangeContains(nodeRange, n)) {
            problems.add(`${at}.ip`, node.ip, `is outside ${P}network.nodeCidr ${cfg.network.nodeCidr}; use an address on the node subnet`);
        } else if (n === nodeRange.first || n === nodeRange.last) {
            problems.add(`${at}.ip`, node.ip, `is the network or broadcast address of ${cfg.network.nodeCidr}`);
        }
        if (node.ip === cfg.network.gateway) problems.add(`${at}.ip`, node.ip, `is the gateway address ${P}network.gateway`);

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
        problems.add(
            `${P}nodes`,
            `${controlPlanes} control plane${controlPlanes === 1 ? "" : "s"}`,
            "needs an odd number of control-plane nodes (1, 3, 5) so etcd keeps quorum",
        );
    }
}

function checkLoadBalancer(cfg: Pick<PlatformInput, "network" | "nodes" | "cilium" | "clustermesh">, problems: Problems): void {
    const { start, stop } = cfg.cilium.lbPool;
    const pool: Ipv4Range = { first: ipToInt(start), last: ipToInt(stop) };
    const at = `${P}cilium.lbPool`;
    if (pool.first > pool.last) {
        problems.add(at, cfg.cilium.lbPool, "start is after stop");
        return;
    }
    const nodeRange = cidrRange(cfg.network.nodeCidr);
    if (!rangeContains(nodeRange, pool.first) || !rangeContains(nodeRange, pool.last)) {
        problems.add(at, cfg.cilium.lbPool, `is not inside ${P}network.nodeCidr ${cfg.network.nodeCidr}; L2-announced LoadBalancer IPs must be on the node subnet`);
    }
    cfg.nodes.forEach((node, i) => {
        if (rangeContains(pool, ipToInt(node.ip))) problems.add(at, cfg.cilium.lbPool, `contains ${P}nodes[${i}].ip ${node.ip}; keep node addresses out of the pool`);
    });
    if (rangeContains(pool, ipToInt(cfg.network.gateway))) problems.add(at, cfg.cilium.lbPool, `contains the gateway ${cfg.network.gateway}`);

    const pinned: [string, string][] = [
        [`${P}clustermesh.ip`, cfg.clustermesh.ip],
        [`${P}cilium.gatewayIp`, cfg.cilium.gatewayIp],
    ];
    for (const [path, ip] of pinned) {
        if (!rangeContains(pool, ipToInt(ip))) problems.add(path, ip, `is outside ${at} ${start}-${stop}; LB-IPAM can only assign addresses from the pool`);
    }
    if (cfg.clustermesh.ip === cfg.cilium.gatewayIp) {
        problems.add(`${P}cilium.gatewayIp`, cfg.cilium.gatewayIp, `equals ${P}clustermesh.ip; the Gateway and the ClusterMesh API need different addresses`);
    }
}

/**
 * Talos 1.11, 1.12 and 1.13 run, each with the provider release that generates its configs, and
 * Kubernetes within the range that Talos minor supports (model/talos.ts). Whether the change from
 * the running versions is one allowed step is the rollout plan's check (planners/rollout.ts).
 */
function checkVersions(cfg: Pick<PlatformInput, "versions">, problems: Problems): void {
    const { talos, kubernetes } = cfg.versions;
    const release = talosRelease(talos);
    if (!release) {
        problems.add(
            `${P}versions.talos`,
            talos,
            `must be a Talos ${SUPPORTED_TALOS_MINORS.join(", ")} release (this program pins a Talos provider release for each of those minors)`,
        );
        return;
    }
    const unsupported = kubernetesSupportProblem(talos, kubernetes);
    if (unsupported) problems.add(`${P}versions.kubernetes`, kubernetes, `is not supported: ${unsupported}`);
}

function checkMisc(cfg: Pick<PlatformInput, "network" | "gitops">, problems: Problems): void {
    const vlanIds = new Set<number>();
    cfg.network.vlans.forEach((vlan, i) => {
        if (vlanIds.has(vlan.id)) problems.add(`${P}network.vlans[${i}].id`, vlan.id, "is listed twice");
        vlanIds.add(vlan.id);
    });
    if (cfg.gitops.credentials !== undefined && !cfg.gitops.url.startsWith("https://")) {
        problems.add(`${P}gitops.url`, cfg.gitops.url, "must be an https:// URL when gitops.credentials (username/password) are set");
    }
}
