/**
 * The simulated cluster's state machine: machines, etcd membership, Kubernetes Node/Pod/PDB
 * objects, timers (compressed time), faults and the append-only event log. The talosctl emulation
 * (talosctl/) and the Kubernetes API (kube.ts) are thin layers over this class.
 */
import { createHash } from "crypto";
import YAML from "yaml";
import {
    canApplyImmediate,
    defaultMachineConfig,
    getPath,
    kubeletVersionOf,
    parseConfig,
    parseInstallerImage,
    setKubernetesImages,
    type ParsedConfig,
} from "./machineconfig";
import type {
    EventSource,
    Invocation,
    MemberView,
    NodeView,
    PdbView,
    PodView,
    Role,
    SimEvent,
    SimExtension,
    SimOptions,
    SimPdbSpec,
    SimTiming,
    Stage,
} from "./types";

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

interface EtcdMember {
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

function sha(s: string): string {
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

export class Cluster {
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

    private counter = 0;
    private slotCounter = 0;
    private readonly timers = new Set<NodeJS.Timeout>();
    private waiters: Waiter[] = [];
    private readonly listeners: { pred: (e: SimEvent) => boolean; fn: (e: SimEvent) => void }[] = [];
    private reconciling = false;

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

    private nextUid(kind: string): string {
        return uuidFrom(`${kind}:${++this.counter}`);
    }

    private newBootId(host: string): string {
        return uuidFrom(`boot:${host}:${++this.counter}`);
    }

    private nodeLabels(hostname: string, role: Role): Record<string, string> {
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
    private scheduleFor(n: SimNode, ms: number, fn: () => void): void {
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

    kubeReady(n: SimNode): boolean {
        return n.kube.exists && n.stage === "running";
    }

    kubeApiUp(): boolean {
        if (this.kubeApiAlwaysUp) return true;
        const cpRunning = [...this.nodes.values()].some((n) => n.role === "controlplane" && n.configured && n.stage === "running");
        return cpRunning && (this.members.length === 0 || this.hasQuorum());
    }

    kubeletVersion(n: SimNode): string {
        return n.kube.kubeletVersion;
    }

    config(n: SimNode, which: "active" | "persistent"): ParsedConfig | undefined {
        const text = which === "active" ? n.active : n.persistent;
        return text === undefined ? undefined : parseConfig(text);
    }

    // -----------------------------------------------------------------------------------------
    // Reconciliation: leadership, learners joining, pod scheduling
    // -----------------------------------------------------------------------------------------

    reconcile(): void {
        if (this.reconciling || this.closed) return;
        this.reconciling = true;
        try {
            this.recomputeLeader();
            for (const n of this.nodes.values()) this.tryJoin(n);
            this.schedulePending();
        } finally {
            this.reconciling = false;
        }
        this.notify();
    }

    private recomputeLeader(): void {
        const cur = this.members.find((m) => m.id === this.leader);
        if (cur && !cur.learner && this.memberAlive(cur) && this.hasQuorum()) return;
        const prev = this.leader;
        const next = this.hasQuorum() ? this.members.find((m) => !m.learner && this.memberAlive(m)) : undefined;
        if (next?.id === prev) return;
        this.leader = next?.id;
        if (next) this.raftTerm++;
        this.emit("sim", "leader-changed", next?.node, { from: prev ?? null, to: next?.id ?? null });
    }

    private tryJoin(n: SimNode): void {
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

    serviceEvent(n: SimNode, state: string, msg: string): void {
        n.etcd.events.unshift({ state, msg, at: Date.now() });
        n.etcd.events.splice(8);
    }

    // -----------------------------------------------------------------------------------------
    // Machine lifecycle
    // -----------------------------------------------------------------------------------------

    /** Node stops answering (reboot/upgrade/reset/shutdown in progress). */
    private goDown(n: SimNode, reason: string): void {
        n.apiUp = false;
        const from = n.stage;
        n.stage = "down";
        this.emit("sim", "node-down", n.hostname, { reason, from });
        this.reconcile();
    }

    /** Start a reboot-like transition: stage now, down after goDownMs, boot after totalMs. */
    private cycle(n: SimNode, stage: Stage, reason: string, totalMs: number, onBoot: () => void): void {
        n.token++;
        n.stage = stage;
        this.notify();
        this.scheduleFor(n, Math.min(this.timing.goDownMs, totalMs), () => {
            this.goDown(n, reason);
            this.scheduleFor(n, Math.max(0, totalMs - this.timing.goDownMs), onBoot);
        });
    }

    reboot(n: SimNode, mode: string, by: string): void {
        this.emit("sim", "reboot-requested", n.hostname, { mode, by });
        this.cycle(n, "rebooting", "reboot", this.timing.rebootMs, () => this.boot(n, "reboot"));
    }

    /** Boot the machine (after a reboot, an upgrade, an install, or `powerOn`). */
    boot(n: SimNode, cause: "reboot" | "upgrade" | "install" | "power-on" | "reset"): void {
        if (this.faultState.neverReturns.has(n.hostname) && cause !== "power-on") {
            this.faultState.neverReturns.delete(n.hostname);
            n.stage = "down";
            n.apiUp = false;
            this.emit("sim", "node-stuck", n.hostname, { cause });
            return;
        }
        n.token++;
        if (n.pendingImage) {
            let img = n.pendingImage;
            const override = this.faultState.comesBackOn.get(n.hostname);
            if (override && cause === "upgrade") {
                this.faultState.comesBackOn.delete(n.hostname);
                img = { version: override.version ?? n.version, schematic: override.schematic ?? n.schematic };
            }
            n.version = img.version;
            n.schematic = img.schematic;
            n.pendingImage = undefined;
        }
        n.bootId = this.newBootId(n.hostname);
        n.boots++;
        n.bootedAt = Date.now();
        n.apiUp = true;
        if (!n.configured) {
            n.stage = "maintenance";
            this.emit("sim", "node-up", n.hostname, { version: n.version, schematic: n.schematic, bootId: n.bootId, maintenance: true });
            this.reconcile();
            return;
        }
        if (n.tryRevert) n.tryRevert = undefined;
        n.active = n.persistent;
        const cfg = parseConfig(n.active!);
        const type = getPath(cfg.v1alpha1, ["machine", "type"]);
        n.role = type === "worker" ? "worker" : "controlplane";
        n.stage = "running";
        n.kube.labels = this.nodeLabels(n.hostname, n.role);
        n.kube.kubeletVersion = kubeletVersionOf(cfg) ?? this.kubernetesVersion;
        if (!n.kube.exists) {
            n.kube = { ...n.kube, exists: true, uid: this.nextUid(`node:${n.hostname}`), createdAt: Date.now(), unschedulable: false, annotations: {} };
            this.emit("sim", "node-registered", n.hostname);
        }
        if (n.role === "controlplane") {
            const m = this.memberOf(n);
            if (n.etcd.dataPresent && m) {
                n.etcd.state = "running";
                this.serviceEvent(n, "Running", "Health check successful");
            } else {
                n.etcd.state = "preparing";
                this.serviceEvent(n, "Preparing", "Running pre state");
            }
        } else n.etcd = { state: "none", memberId: undefined, gen: n.etcd.gen, dataPresent: false, events: [] };
        this.emit("sim", "node-up", n.hostname, { version: n.version, schematic: n.schematic, bootId: n.bootId });
        if (n.kube.annotations[TALOS_CORDONED] === "true") {
            delete n.kube.annotations[TALOS_CORDONED];
            if (n.kube.unschedulable) {
                n.kube.unschedulable = false;
                this.emit("sim", "uncordon", n.hostname, { by: "talos" });
            }
        }
        this.reconcile();
    }

    /**
     * The machine dies at once (power loss, hardware): its API stops answering, its etcd member is
     * down (it counts against quorum but stays in the membership until removed) and its Node goes
     * NotReady. Pending timers of the node are dropped. `powerOn` boots it with its disks as they were.
     */
    die(n: SimNode): void {
        n.token++;
        n.apiUp = false;
        const from = n.stage;
        n.stage = "off";
        this.emit("sim", "fault-dead", n.hostname, { from });
        this.reconcile();
    }

    /** Power on a machine that is off or stuck down. */
    powerOn(host: string): void {
        const n = this.node(host);
        if (n.apiUp) return;
        this.boot(n, "power-on");
    }

    /** Talos's own cordon + drain (legacy upgrade, graceful reset, shutdown): PDB refusals are ignored. */
    private talosCordonDrain(n: SimNode): void {
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

    // ----- upgrade -----

    /** Legacy MachineService.Upgrade server-side validation (control planes, unless --force). */
    validateUpgrade(n: SimNode, force: boolean): void {
        if (n.role !== "controlplane" || force) return;
        const members = this.members;
        const msg = (m: string) => new GrpcError("Unknown", `error validating etcd for upgrade: ${m}`);
        if (members.length === 2) throw msg(`etcd member count(${members.length}) is insufficient to maintain quorum if upgrade commences`);
        for (const m of members) {
            if (!this.memberHealthy(m)) {
                const why = this.faultState.etcdErrors.get(m.node) ?? "context deadline exceeded";
                throw msg(`etcd member ${m.id} is not healthy; all members must be healthy to perform an upgrade: ${why}`);
            }
        }
    }

    upgradeImage(image: string): { version: string; schematic: string } {
        const img = parseInstallerImage(image);
        if (!img) throw new GrpcError("Unknown", `error validating installer image ${JSON.stringify(image)}: failed to resolve image reference: invalid reference format`);
        return img;
    }

    /** Legacy upgrade: Talos cordons/drains itself, stops services, installs, reboots. */
    upgradeLegacy(n: SimNode, o: { image: string; stage: boolean; force: boolean; rebootMode: string; by: string }): void {
        const img = this.upgradeImage(o.image);
        this.emit("sim", "upgrade-requested", n.hostname, { image: o.image, version: img.version, schematic: img.schematic, stage: o.stage, force: o.force, rebootMode: o.rebootMode, api: "MachineService", by: o.by });
        n.stage = "upgrading";
        this.talosCordonDrain(n);
        n.pendingImage = img;
        this.cycle(n, "upgrading", "upgrade", this.timing.upgradeMs, () => this.boot(n, "upgrade"));
    }

    /**
     * v1.13 LifecycleService.Upgrade: install while running; the reboot is a separate step. Returns
     * the installer's exit code, which the stream reports at its end (SOURCES.md §4); a non-zero one
     * (the `installFails` fault) leaves nothing staged.
     */
    async upgradeInstall(n: SimNode, image: string, signal?: AbortSignal): Promise<number> {
        const img = this.upgradeImage(image);
        this.emit("sim", "upgrade-requested", n.hostname, { image, version: img.version, schematic: img.schematic, api: "LifecycleService" });
        await this.sleep(this.timing.upgradeInstallMs, signal);
        if (signal?.aborted) {
            // The client went away (killed): the stream's context ends the install (guess), nothing is staged.
            this.emit("sim", "upgrade-install-cancelled", n.hostname);
            throw new GrpcError("Canceled", "context canceled");
        }
        const failed = this.faultState.installFails.get(n.hostname);
        if (failed !== undefined) {
            this.faultState.installFails.delete(n.hostname);
            this.emit("sim", "upgrade-install-failed", n.hostname, { exitCode: failed });
            return failed;
        }
        n.pendingImage = img;
        this.emit("sim", "upgrade-installed", n.hostname, { version: img.version, schematic: img.schematic });
        return 0;
    }

    rebootForUpgrade(n: SimNode, mode: string, by: string): void {
        this.emit("sim", "reboot-requested", n.hostname, { mode, by, upgrade: true });
        this.cycle(n, "rebooting", "reboot", this.timing.rebootMs, () => this.boot(n, "upgrade"));
    }

    // ----- shutdown / reset -----

    shutdown(n: SimNode, force: boolean): void {
        this.emit("sim", "shutdown-requested", n.hostname, { force });
        n.token++;
        n.stage = "shutting down";
        if (!force) this.talosCordonDrain(n);
        this.scheduleFor(n, Math.min(this.timing.goDownMs, this.timing.shutdownMs), () => {
            this.goDown(n, "shutdown");
            this.scheduleFor(n, Math.max(0, this.timing.shutdownMs - this.timing.goDownMs), () => {
                n.stage = "off";
                this.emit("sim", "node-off", n.hostname);
            });
        });
    }

    /**
     * Reset. The API accepts it (ack) and runs the sequence asynchronously: graceful → cordon/
     * drain and leave etcd (a failure there aborts the reset, node stays up), then wipe.
     */
    reset(n: SimNode, o: { graceful: boolean; reboot: boolean; labels: string[]; by: string }): void {
        this.emit("sim", "reset-requested", n.hostname, { graceful: o.graceful, reboot: o.reboot, labels: o.labels, by: o.by });
        n.token++;
        n.stage = "resetting";
        this.notify();
        this.scheduleFor(n, Math.min(this.timing.goDownMs, this.timing.resetMs), () => {
            if (o.graceful) {
                this.talosCordonDrain(n);
                if (n.role === "controlplane" && this.memberOf(n)) {
                    try {
                        this.leaveEtcd(n, "reset");
                    } catch (e) {
                        n.stage = "running";
                        this.emit("sim", "reset-failed", n.hostname, { error: `failed to leave cluster: ${(e as GrpcError).desc ?? String(e)}` });
                        this.reconcile();
                        return;
                    }
                }
            }
            const wipesState = o.labels.length === 0 || o.labels.includes("STATE");
            const wipesEphemeral = o.labels.length === 0 || o.labels.includes("EPHEMERAL");
            this.emit("sim", "reset", n.hostname, { graceful: o.graceful, reboot: o.reboot, labels: o.labels });
            this.goDown(n, "reset");
            this.scheduleFor(n, Math.max(0, this.timing.resetMs - this.timing.goDownMs), () => {
                if (wipesEphemeral) {
                    n.etcd.dataPresent = false;
                    n.etcd.state = n.role === "controlplane" ? "preparing" : "none";
                }
                if (wipesState) {
                    n.configured = false;
                    n.active = undefined;
                    n.persistent = undefined;
                    n.etcd = { state: "none", memberId: n.etcd.memberId, gen: n.etcd.gen, dataPresent: false, events: [] };
                }
                this.emit("sim", "wiped", n.hostname, { labels: o.labels.length ? o.labels : ["all"] });
                if (o.reboot) this.scheduleFor(n, this.timing.rebootMs, () => this.boot(n, "reset"));
                else {
                    n.stage = "off";
                    this.emit("sim", "node-off", n.hostname);
                }
            });
        });
    }

    // ----- config -----

    /** Apply a config to a configured node; returns whether it reboots. */
    applyConfig(n: SimNode, text: string, mode: "auto" | "no-reboot" | "reboot" | "staged" | "try", tryTimeoutMs: number): { reboot: boolean } {
        const next = parseConfig(text);
        const cur = this.config(n, "active");
        const immediateErr = canApplyImmediate(cur?.v1alpha1, next.v1alpha1);
        if ((mode === "no-reboot" || mode === "try") && immediateErr) throw new GrpcError("InvalidArgument", immediateErr);
        if (mode === "staged") {
            n.persistent = text;
            this.emit("sim", "config-staged", n.hostname, { mode });
            return { reboot: false };
        }
        if (mode === "try") {
            const previous = n.active;
            n.active = text;
            this.applyLive(n);
            this.emit("sim", "config-applied", n.hostname, { mode, reboot: false });
            const token = n.token;
            const revert = () => {
                if (n.tryRevert !== revert || n.token !== token) return;
                n.tryRevert = undefined;
                n.active = previous;
                this.applyLive(n);
                this.emit("sim", "config-reverted", n.hostname, { mode });
            };
            n.tryRevert = revert;
            this.schedule(tryTimeoutMs, revert);
            return { reboot: false };
        }
        const reboot = mode === "reboot" || (mode === "auto" && immediateErr !== undefined);
        n.persistent = text;
        if (!reboot) {
            n.active = text;
            this.applyLive(n);
        }
        this.emit("sim", "config-applied", n.hostname, { mode, reboot });
        if (reboot) this.reboot(n, "default", "apply-config");
        return { reboot };
    }

    /** Effects of a config change applied without reboot (kubelet version). */
    private applyLive(n: SimNode): void {
        const cfg = this.config(n, "active");
        if (cfg) n.kube.kubeletVersion = kubeletVersionOf(cfg) ?? n.kube.kubeletVersion;
    }

    /** Apply-config to a maintenance-mode node: install, then boot configured. */
    install(n: SimNode, text: string): void {
        const cfg = parseConfig(text);
        const image = getPath(cfg.v1alpha1, ["machine", "install", "image"]);
        const img = typeof image === "string" ? parseInstallerImage(image) : undefined;
        n.token++;
        n.configured = true;
        n.active = text;
        n.persistent = text;
        n.pendingImage = img ? { version: img.version, schematic: img.schematic } : undefined;
        n.etcd = { state: "none", memberId: undefined, gen: n.etcd.memberId ? n.etcd.gen + 1 : n.etcd.gen, dataPresent: false, events: [] };
        n.stage = "installing";
        n.apiUp = false;
        this.emit("sim", "install-started", n.hostname, { image: typeof image === "string" ? image : null });
        this.scheduleFor(n, this.timing.installMs, () => this.boot(n, "install"));
    }

    // ----- etcd -----

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

    // -----------------------------------------------------------------------------------------
    // Kubernetes objects
    // -----------------------------------------------------------------------------------------

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

    private schedulePending(): void {
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

    // -----------------------------------------------------------------------------------------
    // upgrade-k8s effects
    // -----------------------------------------------------------------------------------------

    patchKubernetesImages(n: SimNode, version: string, components: ("kubelet" | "apiServer" | "controllerManager" | "scheduler" | "proxy")[]): void {
        if (n.active) n.active = setKubernetesImages(n.active, version, components);
        if (n.persistent) n.persistent = setKubernetesImages(n.persistent, version, components);
        if (components.includes("kubelet")) n.kube.kubeletVersion = version.replace(/^v/, "");
    }

    // -----------------------------------------------------------------------------------------
    // Views for tests
    // -----------------------------------------------------------------------------------------

    nodeView(host: string): NodeView {
        const n = this.node(host);
        const m = this.memberOf(n);
        return {
            hostname: n.hostname,
            ip: n.ip,
            role: n.role,
            version: n.version,
            schematic: n.schematic,
            bootId: n.bootId,
            boots: n.boots,
            stage: n.stage,
            configured: n.configured,
            reachable: this.reachable(n),
            activeConfig: n.active,
            persistentConfig: n.persistent,
            etcd: {
                state: n.etcd.state,
                memberId: n.etcd.memberId,
                member: !!m,
                learner: m?.learner ?? false,
                healthy: m ? this.memberHealthy(m) : false,
                leader: !!m && this.leader === m.id,
            },
            kube: {
                exists: n.kube.exists,
                ready: this.kubeReady(n),
                unschedulable: n.kube.unschedulable,
                annotations: { ...n.kube.annotations },
                labels: { ...n.kube.labels },
                kubeletVersion: n.kube.kubeletVersion,
            },
            pods: this.pods.filter((p) => p.node === n.hostname).map((p) => `${p.namespace}/${p.name}`),
        };
    }

    podViews(): PodView[] {
        return this.pods.map((p) => ({
            namespace: p.namespace,
            name: p.name,
            uid: p.uid,
            node: p.node,
            phase: p.phase,
            ready: this.podHealthy(p),
            terminating: p.terminating,
            ...(p.owner ? { owner: { ...p.owner } } : {}),
        }));
    }

    memberViews(): MemberView[] {
        return this.members.map((m) => ({ id: m.id, hostname: m.name, ip: m.ip, learner: m.learner, healthy: this.memberHealthy(m) }));
    }

    /** YAML of a config (used by tests to craft apply-config inputs). */
    static yaml(v: unknown): string {
        return YAML.stringify(v, { indent: 4 });
    }
}
