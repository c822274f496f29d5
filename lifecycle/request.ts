import type { ClusterTarget } from "../model";

/**
 * What a rollout run is asked to do and what it answers: lifecycle/provider.ts builds the request
 * from the Rollout resource's inputs; lifecycle/cli.ts reads it as JSON on stdin.
 */

export interface RolloutTimings {
    /** How long the cluster may take to become healthy before a node is touched. */
    healthMs: number;
    /** How long evictions may be refused (PodDisruptionBudgets) before the drain fails. */
    drainMs: number;
    /** How long a node may take to come back from an upgrade, reboot or install. */
    nodeMs: number;
    /** Bound for `talosctl upgrade-k8s`. */
    kubernetesMs: number;
    /** Bound for any other single talosctl call. */
    commandMs: number;
    /** Pause between polls. */
    pollMs: number;
    /** How long a node must stay healthy after its step before the next one starts. */
    stabilityMs: number;
}

export interface RolloutPolicy {
    /** Workers disrupted at the same time (control planes are always one at a time). */
    maxParallelWorkers: number;
    /** Reset removed nodes (and every node on destroy) into maintenance mode. */
    resetOnDestroy: boolean;
    /** Absolute folder for etcd snapshots. */
    snapshotDir: string;
    timings: RolloutTimings;
}

export interface RolloutRequest {
    operation: "create" | "update" | "delete";
    /** The target of the last successful run (absent on create). */
    previous?: ClusterTarget;
    /** The target to converge to (on delete: the last one). */
    desired: ClusterTarget;
    /** Full machine configuration per hostname (secret). */
    configs: Record<string, string>;
    /** talosconfig with the admin client certificate (secret). */
    talosconfig: string;
    policy: RolloutPolicy;
    /** Progress is appended here as well as printed on stderr. */
    logFile?: string;
}

/** An etcd snapshot the run took. */
export interface SnapshotRecord {
    path: string;
    sha256: string;
    takenAt: string;
    /** What it was taken before, e.g. "upgrade of infra-01" or "destroy". */
    before: string;
}

export interface RolloutResult {
    achieved: ClusterTarget;
    /**
     * false when `achieved` was recorded without looking at the nodes (a first run without
     * talosctl): the next run then checks the versions the nodes really run instead of trusting it.
     */
    verified?: false;
    snapshot?: SnapshotRecord;
}
