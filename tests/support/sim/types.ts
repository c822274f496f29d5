/** Public types of the simulated cluster. */

export type Role = "controlplane" | "worker";

/**
 * Lifecycle stage of a simulated machine. `running`, `rebooting`, `upgrading`, `resetting`,
 * `shutting down`, `installing`, `maintenance` are what Talos reports (machinestatus);
 * `down` (not answering: rebooting, crashed, never came back) and `off` (powered off) are
 * sim-only states in which nothing answers.
 */
export type Stage = "running" | "rebooting" | "upgrading" | "resetting" | "shutting down" | "installing" | "maintenance" | "down" | "off";

export interface SimExtension {
    name: string;
    version: string;
    author?: string;
    description?: string;
}

export interface SimNodeSpec {
    hostname: string;
    /** A name only: nothing connects to it. `-n`/`-e` values select nodes by this IP (or by hostname). */
    ip: string;
    role: Role;
    /** Installed Talos version, e.g. "v1.11.6". */
    talos: string;
    /** Image Factory schematic id (64 hex). */
    schematic: string;
    /** System extensions besides the factory `schematic` virtual extension. */
    extensions?: SimExtension[];
    /** Initial machine config (YAML); a realistic default is generated from the other fields. */
    config?: string;
}

export interface SimPodSpec {
    namespace: string;
    name: string;
    /** Hostname of the node the pod runs on. */
    node: string;
    /** Controller owner (ownerReferences[0] with controller: true). Omit for an unreplicated pod. */
    owner?: { kind: string; name: string };
    emptyDir?: boolean;
    /** A static (mirror) pod: annotation kubernetes.io/config.mirror, owner kind Node. */
    mirror?: boolean;
    /** Pod phase, default "Running". */
    phase?: string;
    /** Name of the PodDisruptionBudget (same namespace) selecting this pod. */
    pdb?: string;
    labels?: Record<string, string>;
}

/**
 * A PodDisruptionBudget. Its pods are those whose `pdb` names it. `disruptionsAllowed` is
 * recomputed from healthy pods (Running, not terminating, on a Ready node):
 * minAvailable → healthy - minAvailable; maxUnavailable → healthy - (expected - maxUnavailable),
 * expected = number of pods the budget covers (a rescheduled replacement keeps its slot).
 * Default: maxUnavailable 1.
 */
export interface SimPdbSpec {
    namespace: string;
    name: string;
    minAvailable?: number;
    maxUnavailable?: number;
}

/** Compressed time: every duration of the simulation, in milliseconds. */
export interface SimTiming {
    /** reboot accepted → node back up with a new boot id. */
    rebootMs: number;
    /** legacy (MachineService) upgrade accepted → node back up on the new version. */
    upgradeMs: number;
    /** config applied to a maintenance-mode node → node up, installed and configured. */
    installMs: number;
    /** control plane joined etcd as a learner → promoted to voter. */
    learnerPromoteMs: number;
    /** eviction accepted → pod gone. */
    evictionMs: number;
    /** a request that takes a node down accepted → node stops answering. */
    goDownMs: number;
    /** reset accepted → disks wiped (then off, or `rebootMs` later back in maintenance mode). */
    resetMs: number;
    /** shutdown accepted → off. */
    shutdownMs: number;
    /** replacement pod created → Running. */
    podStartMs: number;
    /** one step of `upgrade-k8s` (per component per node). */
    k8sStepMs: number;
    /** v1.13 LifecycleService install phase (before the reboot). */
    upgradeInstallMs: number;
    /** retry interval of the client-side drain (`upgrade --drain`, `reboot --drain` on v1.13) after a 429. */
    drainRetryMs: number;
    /**
     * Multiplier applied to durations given on the talosctl command line (`--timeout 30m`,
     * `--wait-timeout`, `--drain-timeout`, try-mode `--timeout`). Default 0.001: 30m → 1.8 s.
     */
    cliDurationScale: number;
}

export interface SimOptions {
    /** The emulated talosctl CLIENT version, e.g. "v1.11.6": decides flag sets and output variants. */
    talosctlVersion: string;
    /** Kubernetes version of the cluster, e.g. "1.34.1". */
    kubernetesVersion: string;
    nodes: SimNodeSpec[];
    timing?: Partial<SimTiming>;
    pods?: SimPodSpec[];
    pdbs?: SimPdbSpec[];
    /** Hostnames that start in maintenance mode (not configured, no etcd member, no Node object). */
    maintenance?: string[];
    /** Cluster name (kubeconfig context `admin@<name>`), default "sim". */
    clusterName?: string;
    /**
     * Whether the Kubernetes API keeps answering when no control plane is running or etcd has
     * no quorum (default false: the connection is reset, like an unreachable API server).
     */
    kubeApiAlwaysUp?: boolean;
}

export type EventSource = "talosctl" | "kube" | "sim";

export interface SimEvent {
    seq: number;
    /** ms since the sim started */
    at: number;
    source: EventSource;
    /** hostname the event is about */
    node?: string;
    op: string;
    detail?: Record<string, unknown>;
}

export interface NodeView {
    hostname: string;
    ip: string;
    role: Role;
    version: string;
    schematic: string;
    bootId: string;
    /** Number of boots so far (1 at start). */
    boots: number;
    stage: Stage;
    configured: boolean;
    /** Whether the Talos API answers (secure API when configured, maintenance API otherwise). */
    reachable: boolean;
    activeConfig: string | undefined;
    persistentConfig: string | undefined;
    etcd: {
        state: "none" | "preparing" | "running" | "stopped";
        memberId: string | undefined;
        member: boolean;
        learner: boolean;
        healthy: boolean;
        leader: boolean;
    };
    kube: {
        exists: boolean;
        ready: boolean;
        unschedulable: boolean;
        annotations: Record<string, string>;
        labels: Record<string, string>;
        kubeletVersion: string;
    };
    pods: string[];
}

export interface PodView {
    namespace: string;
    name: string;
    uid: string;
    node: string;
    phase: string;
    ready: boolean;
    terminating: boolean;
    owner?: { kind: string; name: string };
}

export interface PdbView {
    namespace: string;
    name: string;
    expectedPods: number;
    currentHealthy: number;
    desiredHealthy: number;
    disruptionsAllowed: number;
}

export interface MemberView {
    id: string;
    hostname: string;
    ip: string;
    learner: boolean;
    healthy: boolean;
}

/** A talosctl invocation as seen by fault predicates. */
export interface Invocation {
    argv: string[];
    /** Command path, e.g. "etcd snapshot", "upgrade". */
    command: string;
    /** Values of -n/--nodes as given (empty when taken from the talosconfig). */
    nodes: string[];
    /** Hostnames of the targeted nodes that the sim knows. */
    hosts: string[];
}

export interface SimFaults {
    /** After the next reboot/upgrade/install the node stays down (until `sim.powerOn`). */
    neverReturns(host: string): () => void;
    /** The next upgrade boots this version/schematic instead (default: the old ones). */
    comesBackOn(host: string, what?: { version?: string; schematic?: string }): () => void;
    /** The node's next LifecycleService (v1.13) install ends with this installer exit code (default 1): nothing is staged. */
    upgradeFails(host: string, exitCode?: number): () => void;
    /** The member's status shows `message` in ERRORS and it counts as unhealthy for upgrade checks and health. */
    etcdUnhealthy(host: string, message: string): () => void;
    etcdHealthy(host: string): void;
    /** A learner joining from this node is never promoted (until cleared). */
    learnerNeverPromoted(host: string): () => void;
    /** Evictions of the budget's pods get 429 until cleared. */
    pdbBlocks(namespace: string, pdbName: string): () => void;
    pdbAllows(namespace: string, pdbName: string): void;
    /** Every talosctl call to the node (as target or endpoint) fails with connection refused. */
    unreachable(host: string): () => void;
    reachable(host: string): void;
    /**
     * The machine dies now (power loss): no API, its etcd member down (still listed until removed),
     * its Node NotReady. The returned undo, like `sim.powerOn`, boots it with its disks as they were;
     * `clear()` does not.
     */
    dead(host: string): () => void;
    /** `etcd snapshot` exits 1 with `message` on stderr (`times` calls, default: until cleared). */
    snapshotFails(message: string, opts?: { times?: number }): () => void;
    /** The next `times` (default 1) matching invocations fail with this output instead of running. */
    failCommand(pred: (inv: Invocation) => boolean, result: { stderr: string; code?: number; stdout?: string; times?: number }): () => void;
    /** Clear every fault. */
    clear(): void;
}
