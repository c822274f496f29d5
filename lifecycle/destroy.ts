import type { NodeTarget } from "../model";
import type { RunContext } from "./context";
import type { RolloutResult, SnapshotRecord } from "./request";
import { checkTalosctl } from "./rollout";
import { takeSnapshot } from "./snapshot";
import type { EtcdMember } from "./talosctl-output";
import { isTalosctlError } from "./talosctl";

/**
 * A whole-cluster `pulumi destroy` with resetOnDestroy. Nothing changes before an etcd snapshot
 * is taken from a live control plane (no reset without one, unless no control plane answers, so
 * none of etcd's data is wiped). Then the etcd members of dead control planes are removed by id
 * through a live one, so that each graceful leave after it keeps a quorum of live members. Then
 * every node is reset into maintenance mode, workers first; control planes leave etcd gracefully
 * one by one, except the last, which cannot leave (no one is left to remove it from): it is reset
 * without leaving. Without a quorum nothing can leave or be removed, and none of it is kept: every
 * live node is reset without leaving. A node already in maintenance mode (reset by an interrupted
 * destroy) counts as done. Without resetOnDestroy the nodes are left running.
 */
export async function destroyCluster(ctx: RunContext): Promise<RolloutResult> {
    const target = ctx.request.desired;
    if (!ctx.policy.resetOnDestroy) {
        ctx.log("destroy: resetOnDestroy is off; the nodes keep running and are only forgotten");
        return { achieved: target };
    }
    await checkTalosctl([target.talos.version]);
    const state = new Map<string, NodeState>();
    for (const n of target.nodes) state.set(n.hostname, await probe(ctx, n));
    const controlPlanes = target.nodes.filter(isCp);
    const live = controlPlanes.filter((n) => state.get(n.hostname) === "up");
    const gone = controlPlanes.filter((n) => state.get(n.hostname) !== "up");

    let snapshot: SnapshotRecord | undefined;
    let etcd: Etcd | undefined;
    if (live.length === 0) {
        ctx.log(
            `destroy: no control plane answers (${gone.map((n) => `${n.hostname}: ${state.get(n.hostname) === "reset" ? "already reset" : "down"}`).join(", ")}): ` +
                "no etcd snapshot can be taken, and no control plane is reset, so none of etcd's data is wiped",
        );
    } else {
        etcd = await readEtcd(ctx, live, gone);
        try {
            // From a live member, before anything changes (the dead members' removal included).
            snapshot = await takeSnapshot(ctx, etcd?.alive.length ? etcd.alive : live, "destroy");
        } catch (err) {
            if (etcd?.quorum) throw err;
            throw new Error(`${(err as Error).message}\n${noQuorum(etcd)}; ${noSnapshotAdvice(live, gone)}`);
        }
        if (etcd?.quorum) {
            let removed = false;
            for (const n of gone) removed = (await removeDeadMember(ctx, n, etcd.via)) || removed;
            if (removed) etcd = (await readEtcd(ctx, [etcd.via], gone)) ?? etcd;
        } else {
            ctx.log(
                `destroy: ${noQuorum(etcd)}: no member can leave or be removed, so every live node is reset without leaving etcd ` +
                    `(the whole etcd cluster is discarded; ${snapshot.path} is the way back: README, Restore drill)`,
            );
        }
    }

    // The voting members, and those of them on live control planes not reset yet. A control plane
    // leaves gracefully only while etcd has a quorum that its leave keeps (the last one never does).
    const voters = new Set(etcd?.members.filter((m) => !m.learner).map((m) => m.id) ?? []);
    const alive = new Set(etcd?.members.filter((m) => !m.learner && live.some((n) => matches(m, n))).map((m) => m.id) ?? []);
    const quorate = (aliveCount: number, voterCount: number) => voterCount > 0 && aliveCount * 2 > voterCount;
    const order: NodeTarget[] = [...target.nodes.filter((n) => !isCp(n)), ...controlPlanes];
    for (const n of order) {
        const now = state.get(n.hostname);
        if (now === "reset") {
            ctx.log(`destroy: ${n.hostname} is already in maintenance mode (reset by an earlier destroy)`);
            continue;
        }
        if (now === "down") {
            ctx.log(`destroy: ${n.hostname} does not answer; it cannot be reset (wipe it by hand if it comes back)`);
            continue;
        }
        const member = isCp(n) ? etcd?.members.find((m) => matches(m, n)) : undefined;
        const voter = member !== undefined && voters.has(member.id);
        const graceful =
            member !== undefined && quorate(alive.size, voters.size) && (voter ? quorate(alive.size - 1, voters.size - 1) : voters.size > 0);
        if (member) alive.delete(member.id);
        try {
            await ctx.talos.reset(n.ip, graceful);
        } catch (err) {
            // A node that went away since it was probed must not keep the others from being reset.
            if (!isTalosctlError(err) || !err.unreachable) throw err;
            ctx.log(`destroy: ${n.hostname} became unreachable; it cannot be reset (wipe it by hand if it comes back)`);
            continue;
        }
        if (member && graceful) voters.delete(member.id);
        await waitMaintenance(ctx, n);
        ctx.log(`destroy: ${n.hostname} reset${graceful ? " after leaving etcd" : ""}; it waits in maintenance mode`);
    }
    return { achieved: target, ...(snapshot ? { snapshot } : {}) };
}

const isCp = (n: NodeTarget) => n.role === "controlplane";

/** up: answers with the cluster's certificate; reset: answers in maintenance mode; down: neither. */
type NodeState = "up" | "reset" | "down";

async function probe(ctx: RunContext, n: NodeTarget): Promise<NodeState> {
    try {
        await ctx.talos.version(n.ip);
        return "up";
    } catch {
        return (await ctx.talos.inMaintenance(n.ip)) ? "reset" : "down";
    }
}

/** Whether an etcd member is this node's (by name, or by peer URL: a member that never started has no name). */
export function matches(m: EtcdMember, n: NodeTarget): boolean {
    return m.hostname === n.hostname || m.peerUrls.some((u) => u.includes(`//${n.ip}:`));
}

/**
 * Removes the etcd member of a control plane that cannot leave by itself (dead, or wiped without
 * leaving), by member id through a live control plane. False when it is no member (any more).
 */
export async function removeDeadMember(ctx: RunContext, n: NodeTarget, via: NodeTarget): Promise<boolean> {
    const member = (await ctx.talos.etcdMembers(via.ip)).find((m) => matches(m, n));
    if (!member) return false;
    await ctx.talos.removeMember(via.ip, member.id);
    ctx.log(`${n.hostname}: etcd member ${member.id} removed through ${via.hostname}`);
    return true;
}

interface Etcd {
    /** The live control plane that listed the members. */
    via: NodeTarget;
    members: EtcdMember[];
    /** Voting members whose control plane answers. */
    alive: NodeTarget[];
    /** Voting members whose control plane does not answer (down, or wiped), by hostname or id. */
    dead: string[];
    voting: number;
    /** A majority of the voting members is alive: members can leave and be removed. */
    quorum: boolean;
}

/** etcd's membership as the first live control plane lists it; undefined when none does. */
async function readEtcd(ctx: RunContext, live: NodeTarget[], gone: NodeTarget[]): Promise<Etcd | undefined> {
    for (const via of live) {
        let members: EtcdMember[];
        try {
            members = await ctx.talos.etcdMembers(via.ip);
        } catch (err) {
            ctx.log(`destroy: ${via.hostname} does not list etcd's members (${(err as Error).message.split("\n")[0]})`);
            continue;
        }
        const voting = members.filter((m) => !m.learner);
        const alive = live.filter((n) => voting.some((m) => matches(m, n)));
        const dead = voting.filter((m) => !alive.some((n) => matches(m, n))).map((m) => gone.find((n) => matches(m, n))?.hostname ?? (m.hostname || m.id));
        return { via, members, alive, dead, voting: voting.length, quorum: alive.length * 2 > voting.length };
    }
    return undefined;
}

function noQuorum(etcd: Etcd | undefined): string {
    return etcd ? `etcd has no quorum: ${etcd.dead.join(", ")} of its ${etcd.voting} members are down` : "no live control plane lists etcd's members (etcd has no quorum, or does not run)";
}

/** What to do when etcd has no quorum and no snapshot can be taken. */
function noSnapshotAdvice(live: NodeTarget[], gone: NodeTarget[]): string {
    const [first] = live;
    return [
        "destroy would wipe the last copies of etcd's data without a snapshot, so nothing was reset.",
        gone.length > 0 ? `Bring ${gone.map((n) => n.hostname).join(" or ")} back so that etcd regains its quorum, and run pulumi destroy again; or` : "Either",
        `copy etcd's database by hand first (Talos' disaster-recovery guide): talosctl -n ${first.ip} cp /var/lib/etcd/member/snap/db <folder>`,
        "(it may be inconsistent, and it restores only by hand, with talosctl bootstrap --recover-from <db> --recover-skip-hash-check), then wipe the live control planes",
        `(${live.map((n) => `talosctl -n ${n.ip} reset --graceful=false --reboot --system-labels-to-wipe STATE,EPHEMERAL`).join("; ")})`,
        "and run pulumi destroy again: once no control plane with etcd's data answers, it resets the rest without a snapshot",
    ].join(" ");
}

/** A reset is proven by the node answering in maintenance mode (so the next one leaves only after it). */
export async function waitMaintenance(ctx: RunContext, n: NodeTarget): Promise<void> {
    await ctx.waitFor(`${n.hostname} to come back in maintenance mode after its reset`, ctx.timings.nodeMs, async () =>
        (await ctx.talos.inMaintenance(n.ip)) ? undefined : "still resetting",
    );
}
