/**
 * The simulated cluster's state machine: machines, etcd membership, Kubernetes Node/Pod/PDB
 * objects, timers (compressed time), faults and the append-only event log. The talosctl emulation
 * (talosctl/) and the Kubernetes API (kube.ts) are thin layers over this class. It is built in
 * layers: cluster-state.ts (records, time, events), cluster-etcd.ts (etcd membership) and
 * cluster-kube.ts (Kubernetes objects); this file adds reconciliation, the machine lifecycle and
 * the views for tests.
 */
import YAML from "yaml";
import { ClusterKube } from "./cluster-kube";
import { GrpcError, TALOS_CORDONED, type SimNode } from "./cluster-state";
import { canApplyImmediate, getPath, kubeletVersionOf, parseConfig, parseInstallerImage, setKubernetesImages } from "./machineconfig";
import type { MemberView, NodeView, PodView, Stage } from "./types";

export { DEFAULT_TIMING, GrpcError, memberIdFor, TALOS_CORDONED, uuidFrom, type ServiceEvent, type SimNode, type SimPod } from "./cluster-state";

export class Cluster extends ClusterKube {
    private reconciling = false;

    // -----------------------------------------------------------------------------------------
    // Reconciliation: leadership, learners joining (cluster-etcd.ts), pod scheduling (cluster-kube.ts)
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
