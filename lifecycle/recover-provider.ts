import * as path from "path";
import type { ClusterTarget } from "../model";
import { makeLog, RunContext } from "./context";
import { logFile, policyFrom, type PolicyInputs } from "./provider";
import { recoverEtcd } from "./recover";

/**
 * The provider of the EtcdRecovery resource (components/etcd-recovery.ts): on create, bootstraps
 * etcd from a snapshot (lifecycle/recover.ts). One-shot like the provider's Bootstrap: later
 * changes of its inputs never run it again, and deleting it does nothing.
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

export async function diff() {
    return { changes: false };
}

export async function create(inputs: RecoveryInputs) {
    const file = logFile(inputs.projectDir, inputs.target.cluster);
    const log = makeLog(inputs.target.cluster, file);
    const ctx = new RunContext({ operation: "create", desired: inputs.target, configs: {}, talosconfig: inputs.talosconfig, policy: policyFrom(inputs), logFile: file }, log);
    try {
        const controlPlanes = inputs.target.nodes.filter((n) => n.role === "controlplane");
        const restored = await recoverEtcd(ctx, controlPlanes, inputs.target.talos.version, path.resolve(inputs.projectDir, inputs.snapshot));
        const { talosconfig: _secret, ...rest } = inputs;
        return { id: `${inputs.target.cluster}-recovered`, outs: { ...rest, recoveredFrom: restored } };
    } finally {
        ctx.close();
    }
}

export async function update(_id: string, olds: Record<string, unknown>) {
    return { outs: olds };
}

export async function remove() {
    // Nothing to undo: etcd's data is the cluster's; a reset (the rollout's destroy) wipes it.
}
