/**
 * The simulated cluster's state, the base cluster.ts builds on: the machine and pod records, the
 * etcd membership list, PDBs, faults, the append-only event log and compressed time (timers,
 * waiting for a condition). Each layer above adds one part of the state machine: cluster-etcd.ts
 * the etcd membership, cluster-kube.ts the Kubernetes objects, cluster.ts the machine lifecycle.
 */
import { createHash } from "crypto";
import { defaultMachineConfig, kubeletVersionOf, parseConfig, type ParsedConfig } from "./machineconfig";
import type { EventSource, Invocation, Role, SimEvent, SimExtension, SimOptions, SimPdbSpec, SimTiming, Stage } from "./types";

export const DEFAULT_TIMING: SimTiming = {
    rebootMs: 300,
    upgradeMs: 500,
    installMs: 400,
    learnerPromoteMs: 200,
    evictionMs: 50,
    goDownMs: 40,
    resetMs: 150,
    shutdownMs: 100,
    podStartMs: 30,
    k8sStepMs: 15,
    upgradeInstallMs: 100,
    drainRetryMs: 20,
    cliDurationScale: 0.001,
};

/** A gRPC status error as the Talos API returns it. */
export class GrpcError extends Error {
    constructor(
        readonly code: string,
        readonly desc: string,
    ) {
        super(`rpc error: code = ${code} desc = ${desc}`);
    }
}

export const TALOS_CORDONED = "talos.dev/cordoned";

export interface EtcdMember {
    id: string;
    name: string;
    ip: string;
    learner: boolean;
    node: string;
}

type EtcdState = "none" | "preparing" | "running" | "stopped";

export interface ServiceEvent {
    state: string;
    msg: string;
    at: number;
}

export interface SimNode {
    hostname: string;
    ip: string;
    role: Role;
    version: string;
    schematic: string;
    extensions: SimExtension[];
    bootId: string;
    boots: number;
    bootedAt: number;
    stage: Stage;
    /** Answers its API (secure when configured, maintenance otherwise). */
    apiUp: boolean;
    configured: boolean;
    active: string | undefined;
    persistent: string | undefined;
    /** Installed image waiting for the next boot (staged / v1.13 install-then-reboot). */
    pendingImage: { version: string; schematic: string } | undefined;
    etcd: { state: EtcdState; memberId: string | undefined; gen: number; dataPresent: boolean; events: ServiceEvent[] };
    kube: {
        exists: boolean;
        uid: string;
        createdAt: number;
        unschedulable: boolean;
        annotations: Record<string, string>;
        labels: Record<string, string>;
        kubeletVersion: string;
    };
    /** Bumped by every lifecycle operation; stale timers compare it and do nothing. */
    token: number;
    tryRevert: (() => void) | undefined;
}

export interface SimPod {
    uid: string;
    namespace: string;
    name: string;
    node: string;
    owner: { kind: string; name: string } | undefined;
    emptyDir: boolean;
    mirror: boolean;
    phase: string;
    pdb: string | undefined;
    labels: Record<string, string>;
    terminating: boolean;
    deletionTimestamp: number | undefined;
    createdAt: number;
    started: boolean;
    /** PDB slot (a replacement keeps the evicted pod's slot). */
    slot: number;
    /** Node the pod was evicted from: a replacement goes elsewhere when it can. */
    avoid?: string;
}

interface Waiter {
    check: () => boolean;
    resolve: () => void;
    cancel: () => void;
}

export function sha(s: string): string {
    return createHash("sha256").update(s).digest("hex");
}

/** A deterministic, uuid-shaped id (version 4 layout) from a seed. */
export function uuidFrom(seed: string): string {
    const h = sha(seed);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[parseInt(h[16]!, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function memberIdFor(hostname: string, gen: number): string {
    const h = sha(`etcd-member:${hostname}:${gen}`).slice(0, 16);
    return h[0] === "0" ? `8${h.slice(1)}` : h;
}

export abstract class ClusterState {
    readonly events: SimEvent[] = [];
    readonly timing: SimTiming;
    readonly nodes = new Map<string, SimNode>();
    readonly pods: SimPod[] = [];
    readonly pdbs: SimPdbSpec[];
    readonly clusterName: string;
    members: EtcdMember[] = [];
    leader: string | undefined;
    raftTerm = 2;
    revision = 1000;
    kubernetesVersion: string;
    readonly kubeApiAlwaysUp: boolean;
    readonly startedAt = Date.now();
    closed = false;

    readonly faultState = {
        neverReturns: new Set<string>(),
        comesBackOn: new Map<string, { version?: string; schematic?: string }>(),
        /** host → the installer exit code LifecycleService.Upgrade reports for its next install. */
        installFails: new Map<string, number>(),
        etcdErrors: new Map<string, string>(),
        learnerNeverPromoted: new Set<string>(),
        pdbBlocks: new Set<string>(),
        unreachable: new Set<string>(),
        snapshotFail: undefined as { message: string; remaining: number } | undefined,
        commands: [] as { pred: (inv: Invocation) => boolean; stderr: string; stdout: string; code: number; remaining: number }[],
    };

    protected counter = 0;
    private slotCounter = 0;
    private readonly timers = new Set<NodeJS.Timeout>();
    private waiters: Waiter[] = [];
    private readonly listeners: { pred: (e: SimEvent) => boolean; fn: (e: SimEvent) => void }[] = [];

    constructor(readonly opts: SimOptions) {
        this.timing = { ...DEFAULT_TIMING, ...(opts.timing ?? {}) };
        this.clusterName = opts.clusterName ?? "sim";
        this.kubernetesVersion = opts.kubernetesVersion.replace(/^v/, "");
        this.kubeApiAlwaysUp = opts.kubeApiAlwaysUp ?? false;
        this.pdbs = (opts.pdbs ?? []).map((p) => ({ ...p }));
        const maintenance = new Set(opts.maintenance ?? []);
        const firstCp = opts.nodes.find((n) => n.role === "controlplane" && !maintenance.has(n.hostname));
        const endpoint = `https://${firstCp?.ip ?? "127.0.0.1"}:6443`;
        for (const spec of opts.nodes) {
            if (this.nodes.has(spec.hostname)) throw new Error(`duplicate node ${spec.hostname}`);
            const configured = !maintenance.has(spec.hostname);
            const config = configured
                ? spec.config ??
                  defaultMachineConfig({ hostname: spec.hostname, ip: spec.ip, role: spec.role, talos: spec.talos, schematic: spec.schematic, kubernetes: this.kubernetesVersion, clusterName: this.clusterName, endpoint })
                : undefined;
            const n: SimNode = {
                hostname: spec.hostname,
                ip: spec.ip,
                role: spec.role,
                version: spec.talos,
                schematic: spec.schematic,
                extensions: spec.extensions ?? [],
                bootId: this.newBootId(spec.hostname),
                boots: 1,
                bootedAt: Date.now(),
                stage: configured ? "running" : "maintenance",
                apiUp: true,
                configured,
                active: config,
                persistent: config,
                pendingImage: undefined,
                etcd: { state: "none", memberId: undefined, gen: 0, dataPresent: false, events: [] },
                kube: {
                    exists: configured,
                    uid: uuidFrom(`node:${spec.hostname}:0`),
                    createdAt: Date.now(),
                    unschedulable: false,
                    annotations: {},
                    labels: this.nodeLabels(spec.hostname, spec.role),
                    kubeletVersion: (config && kubeletVersionOf(parseConfig(config))) ?? this.kubernetesVersion,
                },
                token: 0,
                tryRevert: undefined,
            };
            if (configured && spec.role === "controlplane") {
                const id = memberIdFor(spec.hostname, 0);
                n.etcd = { state: "running", memberId: id, gen: 0, dataPresent: true, events: [] };
                this.serviceEvent(n, "Preparing", "Running pre state");
                this.serviceEvent(n, "Running", "Health check successful");
                this.members.push({ id, name: spec.hostname, ip: spec.ip, learner: false, node: spec.hostname });
            }
            this.nodes.set(spec.hostname, n);
        }
        this.leader = this.members[0]?.id;
        for (const p of opts.pods ?? []) {
            if (!this.nodes.has(p.node)) throw new Error(`pod ${p.namespace}/${p.name}: unknown node ${p.node}`);
            this.pods.push({
                uid: this.nextUid(`pod:${p.namespace}/${p.name}`),
                namespace: p.namespace,
                name: p.name,
                node: p.node,
                owner: p.mirror ? { kind: "Node", name: p.node } : p.owner,
                emptyDir: p.emptyDir ?? false,
                mirror: p.mirror ?? false,
                phase: p.phase ?? "Running",
                pdb: p.pdb,
                labels: { ...(p.labels ?? {}), ...(p.pdb ? { "sim.pdb": p.pdb } : {}) },
                terminating: false,
                deletionTimestamp: undefined,
                createdAt: Date.now(),
                started: true,
                slot: ++this.slotCounter,
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Infrastructure: time, events, waiting
    // -----------------------------------------------------------------------------------------

    now(): number {
        return Date.now() - this.startedAt;
    }

    protected nextUid(kind: string): string {
        return uuidFrom(`${kind}:${++this.counter}`);
    }

    protected newBootId(host: string): string {
        return uuidFrom(`boot:${host}:${++this.counter}`);
    }

    protected nodeLabels(hostname: string, role: Role): Record<string, string> {
        return {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": hostname,
            "kubernetes.io/os": "linux",
            ...(role === "controlplane" ? { "node-role.kubernetes.io/control-plane": "" } : {}),
        };
    }

    emit(source: EventSource, op: string, node?: string, detail?: Record<string, unknown>): SimEvent {
        const e: SimEvent = { seq: this.events.length + 1, at: this.now(), source, op, ...(node ? { node } : {}), ...(detail ? { detail } : {}) };
        this.events.push(e);
        this.revision += 3;
        for (const l of [...this.listeners]) {
            if (l.pred(e)) l.fn(e);
        }
        this.notify();
        return e;
    }

    onEvent(pred: (e: SimEvent) => boolean, fn: (e: SimEvent) => void): () => void {
        const l = { pred, fn };
        this.listeners.push(l);
        return () => {
            const i = this.listeners.indexOf(l);
            if (i >= 0) this.listeners.splice(i, 1);
        };
    }

    notify(): void {
        if (this.waiters.length === 0) return;
        const keep: Waiter[] = [];
        for (const w of this.waiters) {
            if (w.check()) w.resolve();
            else keep.push(w);
        }
        this.waiters = keep;
    }

    /** Resolve true when `check` holds (re-evaluated on every event), false on timeout/abort/close. */
    waitFor(check: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
        if (check()) return Promise.resolve(true);
        return new Promise<boolean>((resolve) => {
            let done = false;
            const finish = (v: boolean) => {
                if (done) return;
                done = true;
                clearTimeout(t);
                this.timers.delete(t);
                this.waiters = this.waiters.filter((w) => w !== waiter);
                signal?.removeEventListener("abort", onAbort);
                resolve(v);
            };
            const onAbort = () => finish(false);
            const waiter: Waiter = { check: () => !done && check(), resolve: () => finish(true), cancel: () => finish(false) };
            const t = setTimeout(() => finish(check()), Math.max(0, timeoutMs));
            this.timers.add(t);
            this.waiters.push(waiter);
            signal?.addEventListener("abort", onAbort);
            if (signal?.aborted) finish(false);
        });
    }

    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        return this.waitFor(() => false, ms, signal).then(() => undefined);
    }

    schedule(ms: number, fn: () => void): void {
        if (this.closed) return;
        const t = setTimeout(() => {
            this.timers.delete(t);
            if (!this.closed) fn();
        }, Math.max(0, ms));
        this.timers.add(t);
    }

    /** Run fn after ms unless another lifecycle operation started on the node meanwhile. */
    protected scheduleFor(n: SimNode, ms: number, fn: () => void): void {
        const token = n.token;
        this.schedule(ms, () => {
            if (n.token === token) fn();
        });
    }

    close(): void {
        this.closed = true;
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
        for (const w of [...this.waiters]) w.cancel();
        this.waiters = [];
    }

    // -----------------------------------------------------------------------------------------
    // Lookups and derived state
    // -----------------------------------------------------------------------------------------

    node(host: string): SimNode {
        const n = this.nodes.get(host);
        if (!n) throw new Error(`sim: unknown node ${host}`);
        return n;
    }

    /** The machine a `-n`/`-e` value addresses (IP, or hostname). */
    resolveAddress(addr: string): SimNode | undefined {
        const a = addr.trim().replace(/^\[|\]$/g, "").replace(/:\d+$/, "");
        for (const n of this.nodes.values()) if (n.ip === a) return n;
        return this.nodes.get(a);
    }

    reachable(n: SimNode): boolean {
        return n.apiUp && !this.faultState.unreachable.has(n.hostname);
    }

    kubeReady(n: SimNode): boolean {
        return n.kube.exists && n.stage === "running";
    }

    kubeletVersion(n: SimNode): string {
        return n.kube.kubeletVersion;
    }

    config(n: SimNode, which: "active" | "persistent"): ParsedConfig | undefined {
        const text = which === "active" ? n.active : n.persistent;
        return text === undefined ? undefined : parseConfig(text);
    }

    serviceEvent(n: SimNode, state: string, msg: string): void {
        n.etcd.events.unshift({ state, msg, at: Date.now() });
        n.etcd.events.splice(8);
    }

    /** Leadership, learners joining, pod scheduling (cluster.ts); every state change ends with it. */
    abstract reconcile(): void;
}
