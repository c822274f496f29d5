import type { NodeTarget } from "../model";
import type { RunContext } from "./context";
import { isTalosctlError } from "./talosctl";

/**
 * The health gate in front of every disruption: every member node Ready in Kubernetes, and etcd
 * with exactly one healthy voting member per member control plane (no learners, one agreed
 * leader, no member errors). Nodes being removed are left out of both counts, so a dead node that
 * is on its way out cannot hold the gate shut.
 */

export interface Membership {
    /** The nodes that must be healthy now (members of the cluster, not the one being removed). */
    nodes: NodeTarget[];
    /** Hostnames allowed to linger in etcd or Kubernetes without counting (being removed). */
    ignore?: string[];
}

const NO_LEADER = "0000000000000000";

/** Everything that keeps the cluster from being healthy right now; empty when it is. */
export async function healthProblems(ctx: RunContext, m: Membership): Promise<string[]> {
    const problems: string[] = [];
    const ignore = new Set(m.ignore ?? []);
    const controlPlanes = m.nodes.filter((n) => n.role === "controlplane");

    const kube = await ctx.kube(controlPlanes);
    const nodes = new Map((await kube.nodes()).map((n) => [n.name, n]));
    for (const n of m.nodes) {
        const k = nodes.get(n.hostname);
        if (!k) problems.push(`${n.hostname} is not registered in Kubernetes`);
        else if (!k.ready) problems.push(`${n.hostname} is not Ready (${k.notReadyWhy})`);
    }

    let members: { hostname: string; learner: boolean }[] | undefined;
    let via: NodeTarget | undefined;
    for (const cp of controlPlanes) {
        try {
            members = await ctx.talos.etcdMembers(cp.ip);
            via = cp;
            break;
        } catch (err) {
            problems.push(isTalosctlError(err) && err.unreachable ? `${cp.hostname}: Talos API unreachable` : `${cp.hostname}: ${(err as Error).message}`);
        }
    }
    if (members === undefined || via === undefined) {
        if (controlPlanes.length > 0) problems.push("no control plane lists the etcd members");
        return problems;
    }
    const voting = new Set(members.filter((x) => !x.learner).map((x) => x.hostname));
    for (const cp of controlPlanes) {
        if (members.some((x) => x.hostname === cp.hostname && x.learner)) problems.push(`${cp.hostname} is still an etcd learner (not yet promoted)`);
        else if (!voting.has(cp.hostname)) problems.push(`${cp.hostname} is not an etcd member`);
    }
    for (const x of members) {
        if (ignore.has(x.hostname) || controlPlanes.some((cp) => cp.hostname === x.hostname)) continue;
        problems.push(`etcd has a member ${x.hostname || "(unnamed learner)"} that is not a control plane of this cluster`);
    }

    // Every member control plane's own view, in one call through the one that answered.
    const { rows, failures } = await ctx.talos.etcdStatus(via.ip, controlPlanes.map((cp) => cp.ip));
    const leaders = new Set<string>();
    for (const cp of controlPlanes) {
        const status = rows.find((r) => r.node === cp.ip);
        if (!status) {
            problems.push(`etcd status of ${cp.hostname}: no answer${failures ? ` (${failures.split("\n").filter((l) => l.includes(cp.ip)).join(" ") || failures.split("\n")[0]})` : ""}`);
            continue;
        }
        if (status.errors) problems.push(`etcd on ${cp.hostname} reports: ${status.errors}`);
        if (status.leader && status.leader !== NO_LEADER) leaders.add(status.leader);
        else problems.push(`etcd on ${cp.hostname} has no leader`);
    }
    if (leaders.size > 1) problems.push(`the control planes disagree about the etcd leader (${[...leaders].join(", ")})`);
    return problems;
}

/** Waits until the gate passes twice in a row; fails naming what `next` is waiting for and why. */
export async function waitHealthy(ctx: RunContext, m: Membership, next: string): Promise<void> {
    ctx.log(`gate: checking cluster health before ${next}`);
    try {
        await ctx.waitFor(`cluster health before ${next}`, ctx.timings.healthMs, async () => {
            const problems = await healthProblems(ctx, m);
            return problems.length === 0 ? undefined : problems.join("; ");
        }, 2);
    } catch (err) {
        throw new Error(`the health gate did not pass, so ${next} did not start: ${(err as Error).message}`);
    }
}

/** After a step: the cluster must stay healthy for the whole stability window. */
export async function waitStable(ctx: RunContext, m: Membership, after: string): Promise<void> {
    const window = ctx.timings.stabilityMs;
    const checks = Math.max(2, Math.ceil(window / Math.max(1, ctx.timings.pollMs)) + 1);
    ctx.log(`gate: ${after} done; watching the cluster for ${Math.round(window / 1000)}s`);
    await ctx.waitFor(`cluster stable after ${after}`, ctx.timings.healthMs + window, async () => {
        const problems = await healthProblems(ctx, m);
        return problems.length === 0 ? undefined : problems.join("; ");
    }, checks);
}
