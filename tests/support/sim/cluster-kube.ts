/**
 * The simulated cluster's Kubernetes objects (a layer of cluster.ts): whether the API server is up,
 * PDBs and evictions, pod replacement and scheduling, Node deletion and cordon, and Talos's own
 * cordon + drain.
 */
import { ClusterEtcd } from "./cluster-etcd";
import { sha, TALOS_CORDONED, type SimNode, type SimPod } from "./cluster-state";
import type { EventSource, PdbView, SimPdbSpec } from "./types";

export abstract class ClusterKube extends ClusterEtcd {
    kubeApiUp(): boolean {
        if (this.kubeApiAlwaysUp) return true;
        const cpRunning = [...this.nodes.values()].some((n) => n.role === "controlplane" && n.configured && n.stage === "running");
        return cpRunning && (this.members.length === 0 || this.hasQuorum());
    }

    pdbFor(p: SimPod): SimPdbSpec | undefined {
        return p.pdb ? this.pdbs.find((x) => x.namespace === p.namespace && x.name === p.pdb) : undefined;
    }

    podHealthy(p: SimPod): boolean {
        const n = this.nodes.get(p.node);
        return p.phase === "Running" && p.started && !p.terminating && !!n && this.kubeReady(n);
    }

    pdbStatus(pdb: SimPdbSpec): PdbView {
        const pods = this.pods.filter((p) => p.namespace === pdb.namespace && p.pdb === pdb.name);
        const expected = new Set(pods.map((p) => p.slot)).size;
        const healthy = pods.filter((p) => this.podHealthy(p)).length;
        const desired = pdb.minAvailable !== undefined ? pdb.minAvailable : Math.max(0, expected - (pdb.maxUnavailable ?? 1));
        return { namespace: pdb.namespace, name: pdb.name, expectedPods: expected, currentHealthy: healthy, desiredHealthy: desired, disruptionsAllowed: Math.max(0, healthy - desired) };
    }

    /** The budget that refuses evicting this pod now, if any. */
    evictionBlocked(p: SimPod): SimPdbSpec | undefined {
        if (["Succeeded", "Failed", "Pending"].includes(p.phase) || p.terminating) return undefined;
        const pdb = this.pdbFor(p);
        if (!pdb) return undefined;
        if (this.faultState.pdbBlocks.has(`${pdb.namespace}/${pdb.name}`)) return pdb;
        return this.pdbStatus(pdb).disruptionsAllowed <= 0 ? pdb : undefined;
    }

    /** Accept an eviction: the pod terminates and is gone after evictionMs, then is replaced. */
    evict(p: SimPod, by: string, source: EventSource = "sim"): void {
        p.terminating = true;
        p.deletionTimestamp = Date.now();
        this.emit(source, "evict", p.node || undefined, { pod: `${p.namespace}/${p.name}`, uid: p.uid, by });
        this.schedule(this.timing.evictionMs, () => this.removePod(p, "evicted"));
    }

    private removePod(p: SimPod, reason: string): void {
        const i = this.pods.indexOf(p);
        if (i < 0) return;
        this.pods.splice(i, 1);
        this.emit("sim", "pod-gone", p.node || undefined, { pod: `${p.namespace}/${p.name}`, uid: p.uid, reason });
        this.replace(p);
        this.reconcile();
    }

    private replace(p: SimPod): void {
        const kind = p.owner?.kind;
        if (!kind || !["ReplicaSet", "StatefulSet", "Deployment", "ReplicationController", "DaemonSet"].includes(kind)) return;
        let name = p.name;
        if (kind !== "StatefulSet" && kind !== "DaemonSet") {
            const base = p.name.replace(/-[a-z0-9]{5}$/, "");
            name = `${base}-${sha(`${p.uid}:${this.counter}`).replace(/[^a-z]/g, "").slice(0, 5).padEnd(5, "x")}`;
        }
        const np: SimPod = {
            ...p,
            uid: this.nextUid(`pod:${p.namespace}/${name}`),
            name,
            node: kind === "DaemonSet" ? p.node : "",
            phase: "Pending",
            terminating: false,
            deletionTimestamp: undefined,
            createdAt: Date.now(),
            started: false,
            avoid: p.node,
        };
        this.pods.push(np);
        this.emit("sim", "pod-created", undefined, { pod: `${np.namespace}/${np.name}`, uid: np.uid, replaces: p.uid });
    }

    private schedulable(n: SimNode): boolean {
        return this.kubeReady(n) && !n.kube.unschedulable;
    }

    protected schedulePending(): void {
        for (const p of this.pods) {
            if (p.node !== "" && p.phase !== "Pending") continue;
            if (p.node !== "" && p.owner?.kind === "DaemonSet") {
                const n = this.nodes.get(p.node);
                if (!n || !this.kubeReady(n)) continue;
            } else if (p.node === "") {
                const schedulable = [...this.nodes.values()].filter((n) => this.schedulable(n));
                const elsewhere = schedulable.filter((n) => n.hostname !== p.avoid);
                const candidates = elsewhere.length > 0 ? elsewhere : schedulable;
                if (candidates.length === 0) continue;
                const load = (n: SimNode) => this.pods.filter((x) => x.node === n.hostname).length;
                candidates.sort((a, c) => load(a) - load(c) || (a.role === c.role ? a.hostname.localeCompare(c.hostname) : a.role === "worker" ? -1 : 1));
                p.node = candidates[0]!.hostname;
            } else continue;
            const pod = p;
            pod.phase = "Running";
            this.emit("sim", "pod-scheduled", pod.node, { pod: `${pod.namespace}/${pod.name}`, uid: pod.uid });
            this.schedule(this.timing.podStartMs, () => {
                if (!this.pods.includes(pod)) return;
                pod.started = true;
                this.emit("sim", "pod-started", pod.node, { pod: `${pod.namespace}/${pod.name}`, uid: pod.uid });
            });
        }
    }

    /** Node object deleted through the API: its pods are garbage-collected and replaced. */
    deleteKubeNode(n: SimNode): void {
        n.kube.exists = false;
        n.kube.unschedulable = false;
        n.kube.annotations = {};
        this.emit("kube", "node-deleted", n.hostname);
        for (const p of this.pods.filter((x) => x.node === n.hostname)) this.removePod(p, "node-deleted");
        this.reconcile();
    }

    setUnschedulable(n: SimNode, value: boolean, by: EventSource, detail?: Record<string, unknown>): void {
        if (n.kube.unschedulable === value) return;
        n.kube.unschedulable = value;
        this.emit(by, value ? "cordon" : "uncordon", n.hostname, detail);
        this.reconcile();
    }

    /** Talos's own cordon + drain (legacy upgrade, graceful reset, shutdown): PDB refusals are ignored. */
    protected talosCordonDrain(n: SimNode): void {
        if (!n.kube.exists) return;
        if (!n.kube.unschedulable) {
            n.kube.unschedulable = true;
            n.kube.annotations[TALOS_CORDONED] = "true";
            this.emit("sim", "cordon", n.hostname, { by: "talos" });
        }
        for (const p of this.pods.filter((x) => x.node === n.hostname && !x.terminating)) {
            if (p.mirror || p.owner?.kind === "DaemonSet") continue;
            const blocked = this.evictionBlocked(p);
            if (blocked) this.emit("sim", "evict-blocked", n.hostname, { pod: `${p.namespace}/${p.name}`, by: "talos", pdb: blocked.name });
            else this.evict(p, "talos");
        }
    }
}
