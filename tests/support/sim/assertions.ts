/**
 * Safety assertions over the sim's event log. Tests assert rollout properties from the log only,
 * e.g. "never two nodes disrupted at the same time":
 *
 *     expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
 */
import type { SimEvent } from "./types";

/** Ops that start (or extend) a node's disruption. */
export const DISRUPTIVE_OPS = [
    "cordon",
    "evict",
    "forfeit-leadership",
    "upgrade-requested",
    "reboot-requested",
    "reset-requested",
    "shutdown-requested",
    "member-removed", // only with detail.via === "leave" (the node left on its own)
    "config-applied", // only with detail.reboot === true
] as const;

export interface DisruptionInterval {
    node: string;
    /** seq of the first disruptive event */
    startSeq: number;
    /** ms since sim start of the first disruptive event */
    start: number;
    /** seq of the event after which the node was back: up, Ready and uncordoned (undefined: never) */
    endSeq: number | undefined;
    end: number | undefined;
    /** the disruptive events in the interval, as "source:op" */
    ops: string[];
}

function isDisruptive(e: SimEvent): boolean {
    if (!e.node) return false;
    switch (e.op) {
        case "cordon":
        case "evict":
        case "forfeit-leadership":
        case "upgrade-requested":
        case "reboot-requested":
        case "reset-requested":
        case "shutdown-requested":
            return true;
        case "member-removed":
            return e.detail?.["via"] === "leave";
        case "config-applied":
            return e.detail?.["reboot"] === true;
        default:
            return false;
    }
}

interface NodeTrack {
    cordoned: boolean;
    down: boolean;
    /** a request that takes the node down was accepted and the node has not gone down yet */
    pending: boolean;
    /** came back in maintenance mode (not a Ready cluster member) */
    maintenance: boolean;
    open: DisruptionInterval | undefined;
}

/**
 * Per node, the intervals from the first disruptive op (cordon, eviction of one of its pods,
 * etcd leadership forfeit, upgrade/reboot/reset/shutdown requested, `etcd leave`, a config
 * applied with a reboot) to the node being back: up (node-up after any node-down), Ready (not in
 * maintenance) and uncordoned. Disruptive ops while an interval is open extend it. An interval
 * also closes when the node's Kubernetes Node object is deleted (the node left the cluster).
 * Intervals that never close have `endSeq` undefined.
 */
export function disruptionIntervals(events: readonly SimEvent[]): DisruptionInterval[] {
    const tracks = new Map<string, NodeTrack>();
    const out: DisruptionInterval[] = [];
    const track = (node: string): NodeTrack => {
        let t = tracks.get(node);
        if (!t) {
            t = { cordoned: false, down: false, pending: false, maintenance: false, open: undefined };
            tracks.set(node, t);
        }
        return t;
    };
    for (const e of events) {
        if (!e.node) continue;
        const t = track(e.node);
        switch (e.op) {
            case "cordon":
                t.cordoned = true;
                break;
            case "uncordon":
                t.cordoned = false;
                break;
            case "upgrade-requested":
            case "reboot-requested":
            case "reset-requested":
            case "shutdown-requested":
                t.pending = true;
                break;
            case "reset-failed":
                t.pending = false;
                break;
            case "node-down":
            case "install-started":
                t.down = true;
                t.pending = false;
                break;
            case "node-up":
                t.down = false;
                t.maintenance = e.detail?.["maintenance"] === true;
                break;
            case "node-deleted":
                t.cordoned = false;
                break;
        }
        if (isDisruptive(e)) {
            if (!t.open) {
                t.open = { node: e.node, startSeq: e.seq, start: e.at, endSeq: undefined, end: undefined, ops: [] };
                out.push(t.open);
            }
            t.open.ops.push(`${e.source}:${e.op}`);
        }
        if (t.open) {
            const back = !t.cordoned && !t.down && !t.pending && !t.maintenance;
            if (back || e.op === "node-deleted") {
                t.open.endSeq = e.seq;
                t.open.end = e.at;
                t.open = undefined;
            }
        }
    }
    return out;
}

/** Pairs of intervals of different nodes that overlap in time (by event order). */
export function overlaps(intervals: readonly DisruptionInterval[]): [DisruptionInterval, DisruptionInterval][] {
    const pairs: [DisruptionInterval, DisruptionInterval][] = [];
    for (let i = 0; i < intervals.length; i++) {
        for (let j = i + 1; j < intervals.length; j++) {
            const a = intervals[i]!;
            const b = intervals[j]!;
            if (a.node === b.node) continue;
            const aEnd = a.endSeq ?? Infinity;
            const bEnd = b.endSeq ?? Infinity;
            if (a.startSeq < bEnd && b.startSeq < aEnd) pairs.push([a, b]);
        }
    }
    return pairs;
}

/** Hostnames whose Kubernetes Node is still cordoned (spec.unschedulable) now. */
export function cordonedAtEnd(sim: { nodes(): { hostname: string; kube: { exists: boolean; unschedulable: boolean } }[] }): string[] {
    return sim
        .nodes()
        .filter((n) => n.kube.exists && n.kube.unschedulable)
        .map((n) => n.hostname);
}
