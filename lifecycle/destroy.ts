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
        await waitMaintenance(ctx, n);
        ctx.log(`destroy: ${n.hostname} reset${graceful ? " after leaving etcd" : ""}; it waits in maintenance mode`);
    }
    return { achieved: target, snapshot };
}

/** A reset is proven by the node answering in maintenance mode (so the next one leaves only after it). */
export async function waitMaintenance(ctx: RunContext, n: NodeTarget): Promise<void> {
    await ctx.waitFor(`${n.hostname} to come back in maintenance mode after its reset`, ctx.timings.nodeMs, async () =>
        (await ctx.talos.inMaintenance(n.ip)) ? undefined : "still resetting",
    );
}
