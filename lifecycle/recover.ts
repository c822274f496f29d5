import { createHash } from "crypto";
import * as fs from "fs";
import type { NodeTarget } from "../model";
import type { RunContext } from "./context";
import { checkTalosctl } from "./rollout";

/**
 * The restore drill's bootstrap: etcd is bootstrapped from an etcd snapshot instead of empty
 * (`talosctl bootstrap --recover-from`), once every control plane of the freshly installed cluster
 * waits for it (etcd `Preparing`). Secrets in the snapshot are encrypted with the cluster's
 * secretbox key: it restores only into a cluster with the same machine secrets.
 */
export async function recoverEtcd(ctx: RunContext, controlPlanes: NodeTarget[], talosVersion: string, snapshot: string): Promise<{ path: string; sha256: string }> {
    if (!fs.existsSync(snapshot)) throw new Error(`platform:talos.restoreFrom: ${snapshot} does not exist`);
    const sha256 = createHash("sha256").update(fs.readFileSync(snapshot)).digest("hex");
    await checkTalosctl([talosVersion]);
    ctx.log(`restore: waiting for etcd on ${controlPlanes.map((c) => c.hostname).join(", ")} to wait for a bootstrap`);
    await ctx.waitFor("every control plane's etcd in Preparing", ctx.timings.nodeMs, async () => {
        const waiting: string[] = [];
        for (const cp of controlPlanes) {
            let state: string;
            try {
                state = await ctx.talos.etcdServiceState(cp.ip);
            } catch {
                state = "not answering";
            }
            if (state === "Running") throw new Error(`etcd already runs on ${cp.hostname}: this cluster is bootstrapped, so it cannot be restored into; reset it first (README, Restore drill)`);
            if (state !== "Preparing") waiting.push(`${cp.hostname}: ${state}`);
        }
        return waiting.length === 0 ? undefined : waiting.join(", ");
    });
    const [first] = controlPlanes;
    ctx.log(`restore: bootstrapping etcd on ${first.hostname} from ${snapshot} (sha256 ${sha256})`);
    ctx.log(`restore: ${await ctx.talos.recoverBootstrap(first.ip, snapshot)}`);
    await ctx.waitFor(`etcd on ${first.hostname} running from the snapshot`, ctx.timings.nodeMs, async () => {
        const state = await ctx.talos.etcdServiceState(first.ip);
        return state === "Running" ? undefined : `etcd is ${state}`;
    });
    return { path: snapshot, sha256 };
}
