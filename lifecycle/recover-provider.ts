import * as path from "path";
import type { ClusterTarget } from "../model";
import { makeLog, RunContext } from "./context";
import { logFile, policyFrom, type PolicyInputs } from "./provider";
import { recoverEtcd, recoveryMarker, removeMarker } from "./recover";

/**
 * The provider of the EtcdRecovery resource (components/etcd-recovery.ts): on create, bootstraps
 * etcd from a snapshot (lifecycle/recover.ts); a create that finds etcd already bootstrapped by an
 * interrupted create of this drill (its marker) records it instead. One-shot like the provider's
 * Bootstrap: later changes of its inputs never run it again, and deleting it does nothing to the
 * cluster. Once state holds the recovery the marker is removed (diff, delete): state is the record
 * from then on, and a marker left behind could later vouch for a cluster it no longer describes.
 */

export interface RecoveryInputs {
    projectDir: string;
    /** The cluster's nodes (the control planes wait for the recovery); its Talos version for the talosctl check. */
    target: ClusterTarget;
    /** The snapshot file, relative to the project folder or absolute. */
    snapshot: string;
    talosconfig: string;
    policy: PolicyInputs;
}

export async function check(_olds: unknown, news: RecoveryInputs) {
    return { inputs: news };
}

export async function diff(_id: string, olds: Partial<RecoveryInputs>, news: Partial<RecoveryInputs>) {
    // Called only for a recovery that state holds: the marker of its create has done its job.
    const projectDir = news?.projectDir ?? olds?.projectDir;
    const cluster = olds?.target?.cluster;
    if (typeof projectDir === "string" && typeof cluster === "string") removeMarker(recoveryMarker(projectDir, cluster));
    return { changes: false };
}

export async function create(inputs: RecoveryInputs) {
    const file = logFile(inputs.projectDir, inputs.target.cluster);
    const log = makeLog(inputs.target.cluster, file);
    const ctx = new RunContext({ operation: "create", desired: inputs.target, configs: {}, talosconfig: inputs.talosconfig, policy: policyFrom(inputs), logFile: file }, log);
    try {
        const controlPlanes = inputs.target.nodes.filter((n) => n.role === "controlplane");
        const marker = recoveryMarker(inputs.projectDir, inputs.target.cluster);
        const restored = await recoverEtcd(ctx, controlPlanes, inputs.target.talos.version, path.resolve(inputs.projectDir, inputs.snapshot), marker);
        const { talosconfig: _secret, ...rest } = inputs;
        return { id: `${inputs.target.cluster}-recovered`, outs: { ...rest, recoveredFrom: restored } };
    } finally {
        ctx.close();
    }
}

export async function update(_id: string, olds: Record<string, unknown>) {
    return { outs: olds };
}

export async function remove(_id: string, olds: Partial<RecoveryInputs>) {
    // Nothing to undo: etcd's data is the cluster's; a reset (the rollout's destroy) wipes it.
    if (typeof olds?.projectDir === "string" && typeof olds.target?.cluster === "string") removeMarker(recoveryMarker(olds.projectDir, olds.target.cluster));
}
