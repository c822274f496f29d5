/**
 * The simulated cluster's etcd (a layer of cluster.ts): membership and quorum, leadership, learners
 * joining and promoted, forfeit-leadership, leave, remove-member and bootstrap.
 */
import { ClusterState, GrpcError, memberIdFor, type EtcdMember, type SimNode } from "./cluster-state";

export abstract class ClusterEtcd extends ClusterState {
    memberOf(n: SimNode): EtcdMember | undefined {
        return n.etcd.memberId ? this.members.find((m) => m.id === n.etcd.memberId) : undefined;
    }

    /** Member is up (for quorum/leadership). */
    memberAlive(m: EtcdMember): boolean {
        const n = this.nodes.get(m.node);
        return !!n && n.apiUp && n.configured && n.etcd.state === "running" && n.etcd.memberId === m.id;
    }

    /** Member is up and not marked unhealthy by a fault (upgrade validation, health). */
    memberHealthy(m: EtcdMember): boolean {
        return this.memberAlive(m) && !this.faultState.etcdErrors.has(m.node);
    }

    hasQuorum(): boolean {
        const voters = this.members.filter((m) => !m.learner);
        if (voters.length === 0) return false;
        return voters.filter((m) => this.memberAlive(m)).length * 2 > voters.length;
    }

    protected recomputeLeader(): void {
        const cur = this.members.find((m) => m.id === this.leader);
        if (cur && !cur.learner && this.memberAlive(cur) && this.hasQuorum()) return;
        const prev = this.leader;
        const next = this.hasQuorum() ? this.members.find((m) => !m.learner && this.memberAlive(m)) : undefined;
        if (next?.id === prev) return;
        this.leader = next?.id;
        if (next) this.raftTerm++;
        this.emit("sim", "leader-changed", next?.node, { from: prev ?? null, to: next?.id ?? null });
    }

    protected tryJoin(n: SimNode): void {
        if (n.role !== "controlplane" || !n.configured || n.stage !== "running" || n.etcd.state !== "preparing") return;
        if (this.members.length === 0 || !this.hasQuorum()) return;
        n.etcd.gen = n.etcd.memberId ? n.etcd.gen + 1 : n.etcd.gen;
        const id = memberIdFor(n.hostname, n.etcd.gen);
        if (this.members.some((m) => m.id === id)) return;
        // A stale member of this machine (wiped without leaving) is replaced on rejoin.
        const stale = this.members.find((m) => m.name === n.hostname || m.ip === n.ip);
        if (stale) {
            this.members = this.members.filter((m) => m !== stale);
            this.emit("sim", "member-removed", n.hostname, { memberId: stale.id, via: "rejoin" });
            if (!this.hasQuorum()) return;
        }
        this.members.push({ id, name: n.hostname, ip: n.ip, learner: true, node: n.hostname });
        n.etcd.state = "running";
        n.etcd.memberId = id;
        n.etcd.dataPresent = true;
        this.serviceEvent(n, "Running", "Health check successful");
        this.emit("sim", "member-added-learner", n.hostname, { memberId: id });
        this.schedulePromotion(n, id);
    }

    schedulePromotion(n: SimNode, id: string): void {
        this.schedule(this.timing.learnerPromoteMs, () => {
            const m = this.members.find((x) => x.id === id);
            if (!m || !m.learner) return;
            if (this.faultState.learnerNeverPromoted.has(n.hostname) || !this.memberAlive(m) || !this.hasQuorum()) {
                // Talos keeps retrying; so does the sim, until the fault is cleared.
                this.schedulePromotion(n, id);
                return;
            }
            m.learner = false;
            this.emit("sim", "member-promoted", n.hostname, { memberId: id });
            this.reconcile();
        });
    }

    forfeitLeadership(n: SimNode): void {
        const m = this.memberOf(n);
        if (!m) throw new GrpcError("Unknown", "etcd member not found");
        const wasLeader = this.leader === m.id;
        let to: string | undefined;
        if (wasLeader) {
            const next = this.members.find((x) => x.id !== m.id && !x.learner && this.memberAlive(x));
            if (next) {
                this.leader = next.id;
                this.raftTerm++;
                to = next.id;
            }
        }
        this.emit("sim", "forfeit-leadership", n.hostname, { memberId: m.id, wasLeader, to: to ?? null });
        if (to) this.emit("sim", "leader-changed", this.members.find((x) => x.id === to)?.node, { from: m.id, to });
    }

    private assertCanRemove(id: string): void {
        const remaining = this.members.filter((m) => m.id !== id && !m.learner);
        const alive = remaining.filter((m) => this.memberAlive(m)).length;
        if (!this.hasQuorum() || remaining.length === 0 || alive * 2 <= remaining.length) {
            throw new GrpcError("Unknown", "etcdserver: re-configuration failed due to not enough started members");
        }
    }

    leaveEtcd(n: SimNode, via: string): void {
        const m = this.memberOf(n);
        if (!m) throw new GrpcError("Unknown", "failed to leave cluster: etcdserver: member not found");
        this.assertCanRemove(m.id);
        if (this.leader === m.id) this.forfeitLeadership(n);
        this.members = this.members.filter((x) => x.id !== m.id);
        n.etcd.state = "stopped";
        n.etcd.dataPresent = false;
        this.serviceEvent(n, "Finished", "Service finished successfully");
        this.emit("sim", "member-removed", n.hostname, { memberId: m.id, via });
        this.reconcile();
    }

    removeMember(by: SimNode, id: string): void {
        const m = this.members.find((x) => x.id === id);
        if (!m) throw new GrpcError("Unknown", "failed to remove member: etcdserver: member not found");
        if (!m.learner) this.assertCanRemove(m.id);
        this.members = this.members.filter((x) => x.id !== m.id);
        const owner = this.nodes.get(m.node);
        if (owner && owner.etcd.memberId === m.id && owner.etcd.state === "running") {
            owner.etcd.state = "stopped";
            this.serviceEvent(owner, "Failed", "etcd member has been permanently removed from the cluster");
        }
        this.emit("sim", "member-removed", m.node, { memberId: m.id, via: "remove-member", by: by.hostname });
        this.reconcile();
    }

    bootstrap(n: SimNode, recovered: { revision: number } | undefined): void {
        if (n.role !== "controlplane") throw new GrpcError("FailedPrecondition", "bootstrap can only be performed on a control plane node");
        // The real check is local ("etcd data directory is not empty"). The sim models one etcd
        // cluster, so it also refuses while another quorum is alive (where real Talos would
        // happily bootstrap a second, split-brain cluster).
        if (n.etcd.dataPresent || n.etcd.state !== "preparing" || this.hasQuorum()) throw new GrpcError("AlreadyExists", "etcd data directory is not empty");
        n.etcd.gen = n.etcd.memberId ? n.etcd.gen + 1 : n.etcd.gen;
        const id = memberIdFor(n.hostname, n.etcd.gen);
        const dropped = this.members.map((m) => m.id);
        this.members = [{ id, name: n.hostname, ip: n.ip, learner: false, node: n.hostname }];
        for (const other of this.nodes.values()) {
            if (other !== n && other.etcd.state === "running" && other.etcd.memberId && dropped.includes(other.etcd.memberId)) {
                other.etcd.state = "preparing";
                other.etcd.dataPresent = false;
                this.serviceEvent(other, "Preparing", "Running pre state");
            }
        }
        n.etcd.memberId = id;
        n.etcd.state = "running";
        n.etcd.dataPresent = true;
        this.leader = id;
        this.raftTerm++;
        if (recovered) this.revision = Math.max(this.revision, recovered.revision);
        this.serviceEvent(n, "Running", "Health check successful");
        this.emit("sim", recovered ? "etcd-recovered" : "etcd-bootstrapped", n.hostname, { memberId: id, ...(recovered ? { revision: recovered.revision } : {}) });
        this.reconcile();
    }
}
