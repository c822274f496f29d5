/** The v1.13 client-side drain of `upgrade` and `reboot --drain` (SOURCES.md §4, §8). */
import type { SimNode } from "../cluster";
import type { Run } from "./run";

/** Client-side cordon + drain through the Kubernetes API (respects PDBs, retries 429). */
export async function clientDrain(run: Run, n: SimNode, addr: string): Promise<string | undefined> {
    if (!n.kube.exists) return undefined;
    run.line(addr, "cordoning node");
    run.c.setUnschedulable(n, true, "talosctl", { by: "talosctl" });
    run.line(addr, "draining node");
    const deadline = Date.now() + run.simMs("drain-timeout");
    for (;;) {
        const left = run.c.pods.filter((p) => p.node === n.hostname && !p.mirror && p.owner?.kind !== "DaemonSet");
        const pending = left.filter((p) => !p.terminating);
        if (left.length === 0) return undefined;
        for (const p of pending) {
            const blocked = run.c.evictionBlocked(p);
            if (blocked) run.c.emit("talosctl", "evict-blocked", n.hostname, { pod: `${p.namespace}/${p.name}`, pdb: blocked.name });
            else run.c.evict(p, "talosctl", "talosctl");
        }
        if (Date.now() >= deadline) return `failed to drain node ${n.hostname}: context deadline exceeded`;
        await run.c.sleep(Math.min(run.c.timing.drainRetryMs, Math.max(1, deadline - Date.now())), run.io.signal);
        if (run.io.signal.aborted) return "context canceled";
    }
}

/** The deferred uncordon after a client-side drain: a node still cordoned is uncordoned. */
export function uncordon(run: Run, n: SimNode, addr: string): void {
    if (n.kube.exists && n.kube.unschedulable) {
        run.line(addr, "uncordoning node");
        run.c.setUnschedulable(n, false, "talosctl", { by: "talosctl" });
    }
}
