import type { NodeTarget } from "../model";
import type { RunContext } from "./context";
import type { RolloutResult } from "./request";
import { checkTalosctl } from "./rollout";
import { takeSnapshot } from "./snapshot";
import { isTalosctlError } from "./talosctl";

/**
 * A whole-cluster `pulumi destroy` with resetOnDestroy: an etcd snapshot first (no reset without
 * one), then every node reset into maintenance mode, workers first. Control planes leave etcd
 * gracefully one by one, except the last, which cannot leave (there is no one left to remove it
 * from): it is reset without leaving. Without resetOnDestroy the nodes are left running.
 */
export async function destroyCluster(ctx: RunContext): Promise<RolloutResult> {
    const target = ctx.request.desired;
    if (!ctx.policy.resetOnDestroy) {
        ctx.log("destroy: resetOnDestroy is off; the nodes keep running and are only forgotten");
        return { achieved: target };
    }
    await checkTalosctl([target.talos.version]);
    const controlPlanes = target.nodes.filter((n) => n.role === "controlplane");
    const snapshot = await takeSnapshot(ctx, controlPlanes, "destroy");
    const order: NodeTarget[] = [...target.nodes.filter((n) => n.role === "worker"), ...controlPlanes];
    for (const n of order) {
        const remaining = controlPlanes.slice(controlPlanes.indexOf(n) + 1);
        const graceful = n.role === "controlplane" && remaining.length > 0;
        try {
            await ctx.talos.reset(n.ip, graceful);
        } catch (err) {
            // A node that is already gone must not keep the others from being reset.
            if (!isTalosctlError(err) || !err.unreachable) throw err;
            ctx.log(`destroy: ${n.hostname} is unreachable; it cannot be reset (wipe it by hand if it comes back)`);
            continue;
        }
        ctx.log(`destroy: ${n.hostname} reset${graceful ? ", leaving etcd first" : ""}`);
        // The next control plane leaves only once this one is out: a graceful leave needs quorum.
        if (graceful) {
            await ctx.waitFor(`${n.hostname} to leave etcd`, ctx.timings.nodeMs, async () => {
                const members = await ctx.talos.etcdMembers(remaining[0].ip);
                return members.some((m) => m.hostname === n.hostname) ? "still an etcd member" : undefined;
            });
        }
    }
    return { achieved: target, snapshot };
}
