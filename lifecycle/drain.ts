import type { RunContext } from "./context";
import type { Kube, KubePod } from "./kube";

/**
 * Cordon and drain through the eviction API, so PodDisruptionBudgets are honoured (Talos' own
 * drain ignores them, siderolabs/talos#9882). Like `kubectl drain --ignore-daemonsets
 * --delete-emptydir-data --force`: DaemonSet pods and static (mirror) pods stay; everything else is
 * evicted, and the drain waits until those pods are gone. A pod a budget keeps refusing fails the
 * drain at the deadline, naming the pod and the budget's reason.
 */
export async function drain(ctx: RunContext, kube: Kube, nodeName: string): Promise<void> {
    await kube.setCordon(nodeName, true);
    ctx.log(`${nodeName}: cordoned`);
    const pods = (await kube.podsOn(nodeName)).filter((p) => p.controller !== "DaemonSet" && !p.mirror && !p.terminating);
    if (pods.length === 0) return;
    ctx.log(`${nodeName}: evicting ${pods.length} pod${pods.length === 1 ? "" : "s"}`);
    const deadline = Date.now() + ctx.timings.drainMs;
    const pending = [...pods];
    let last = new Map<string, string>();
    while (pending.length > 0) {
        const refused = new Map<string, string>();
        for (const p of [...pending]) {
            const res = await kube.evict(p);
            if (res.ok) pending.splice(pending.indexOf(p), 1);
            else refused.set(`${p.namespace}/${p.name}`, res.message);
        }
        last = refused;
        if (pending.length === 0) break;
        if (Date.now() + ctx.timings.pollMs > deadline) {
            const [pod, why] = [...last.entries()][0];
            throw new Error(
                `draining ${nodeName}: pod ${pod} could not be evicted within ${Math.round(ctx.timings.drainMs / 1000)}s: ${why}` +
                    (last.size > 1 ? ` (and ${last.size - 1} more pod${last.size === 2 ? "" : "s"})` : "") +
                    "; check its PodDisruptionBudget",
            );
        }
        await ctx.sleep(ctx.timings.pollMs);
    }
    await waitGone(ctx, kube, nodeName, pods, deadline);
    ctx.log(`${nodeName}: drained`);
}

/** Waits until every evicted pod is gone (404, or a new pod of that name with another uid). */
async function waitGone(ctx: RunContext, kube: Kube, nodeName: string, pods: KubePod[], deadline: number): Promise<void> {
    await ctx.waitFor(`pods leaving ${nodeName}`, Math.max(ctx.timings.pollMs, deadline - Date.now()), async () => {
        const left: string[] = [];
        for (const p of pods) {
            const uid = await kube.podUid(p.namespace, p.name);
            if (uid === p.uid) left.push(`${p.namespace}/${p.name}`);
        }
        return left.length === 0 ? undefined : `still terminating: ${left.join(", ")}`;
    });
}
