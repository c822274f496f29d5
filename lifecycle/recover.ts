import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { NodeTarget } from "../model";
import type { RunContext } from "./context";
import { checkTalosctl } from "./rollout";

/**
 * The restore drill's bootstrap: etcd is bootstrapped from an etcd snapshot instead of empty
 * (`talosctl bootstrap --recover-from`), once every control plane of the freshly installed cluster
 * waits for it (etcd `Preparing`). Secrets in the snapshot are encrypted with the cluster's
 * secretbox key: it restores only into a cluster with the same machine secrets.
 *
 * Re-runnable: right before the bootstrap it writes a marker (`recoveryMarker`) naming the
 * snapshot's sha256, the node and the node's boot id. A run killed after the bootstrap but before
 * the engine recorded it finds etcd running; with a marker of this snapshot, this node and its
 * current boot, the etcd running there is the one this drill bootstrapped (a reset or a reboot
 * changes the boot id), so it is checked healthy and reported restored. Without such a marker etcd
 * running means a cluster with its own data (or one restored elsewhere): refused, nothing touched.
 */
export async function recoverEtcd(ctx: RunContext, controlPlanes: NodeTarget[], talosVersion: string, snapshot: string, marker: string): Promise<{ path: string; sha256: string }> {
    if (!fs.existsSync(snapshot)) throw new Error(`platform:talos.restoreFrom: ${snapshot} does not exist`);
    const sha256 = createHash("sha256").update(fs.readFileSync(snapshot)).digest("hex");
    await checkTalosctl([talosVersion]);
    const [first] = controlPlanes;
    ctx.log(`restore: waiting until etcd on ${controlPlanes.map((c) => c.hostname).join(", ")} is ready for a bootstrap (service etcd: Preparing)`);
    let running: NodeTarget | undefined;
    await ctx.waitFor("every control plane's etcd in Preparing", ctx.timings.nodeMs, async () => {
        const waiting: string[] = [];
        for (const cp of controlPlanes) {
            let state: string;
            try {
                state = await ctx.talos.etcdServiceState(cp.ip);
            } catch {
                state = "not answering";
            }
            if (state === "Running") {
                running = cp;
                return undefined;
            }
            if (state !== "Preparing") waiting.push(`${cp.hostname}: ${state}`);
        }
        return waiting.length === 0 ? undefined : waiting.join(", ");
    });
    if (running) {
        await alreadyRestored(ctx, controlPlanes, running, snapshot, sha256, marker);
        return { path: snapshot, sha256 };
    }

    const record: RecoveryMarker = { cluster: ctx.request.desired.cluster, snapshot, sha256, node: first.hostname, ip: first.ip, bootId: await ctx.talos.bootId(first.ip), startedAt: new Date().toISOString() };
    writeMarker(marker, record);
    ctx.log(`restore: bootstrapping etcd on ${first.hostname} from ${snapshot} (sha256 ${sha256}); marker ${marker}`);
    ctx.log(`restore: ${await ctx.talos.recoverBootstrap(first.ip, snapshot)}`);
    await ctx.waitFor(`etcd on ${first.hostname} running from the snapshot`, ctx.timings.nodeMs, async () => {
        const state = await ctx.talos.etcdServiceState(first.ip);
        return state === "Running" ? undefined : `etcd is ${state}`;
    });
    ctx.log(`restore: etcd on ${first.hostname} runs from the snapshot`);
    return { path: snapshot, sha256 };
}

/**
 * Where a restore records, before it bootstraps, which snapshot it bootstraps on which node (next
 * to the rollout log, in the git-ignored `.platform/<cluster>/`). The EtcdRecovery provider
 * removes it once state holds the recovery.
 */
export function recoveryMarker(projectDir: string, cluster: string): string {
    return path.join(projectDir, ".platform", cluster, "etcd-recovery.json");
}

export interface RecoveryMarker {
    cluster: string;
    snapshot: string;
    sha256: string;
    /** The control plane bootstrapped from the snapshot, and its boot id right before. */
    node: string;
    ip: string;
    bootId: string;
    startedAt: string;
}

function writeMarker(file: string, record: RecoveryMarker): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
}

function readMarker(file: string): RecoveryMarker | undefined {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as RecoveryMarker;
    } catch {
        return undefined;
    }
}

export function removeMarker(file: string): void {
    fs.rmSync(file, { force: true });
}

/**
 * etcd already runs. Reported restored only when this project folder's marker says this drill
 * bootstrapped it, from this snapshot, on this node, in the node's current boot, and it is healthy;
 * otherwise refused, with what to do.
 */
async function alreadyRestored(ctx: RunContext, controlPlanes: NodeTarget[], running: NodeTarget, snapshot: string, sha256: string, markerFile: string): Promise<void> {
    const [first] = controlPlanes;
    const marker = readMarker(markerFile);
    let bootId: string | undefined;
    try {
        bootId = await ctx.talos.bootId(first.ip);
    } catch {
        bootId = undefined;
    }
    const ours = marker !== undefined && marker.cluster === ctx.request.desired.cluster && marker.node === first.hostname && marker.ip === first.ip;
    if (ours && marker.sha256 === sha256 && bootId !== undefined && marker.bootId === bootId) {
        ctx.log(`restore: etcd on ${running.hostname} already runs, bootstrapped from this snapshot by an interrupted run (${markerFile}, started ${marker.startedAt}); checking it`);
        await waitRestoredHealthy(ctx, controlPlanes, first);
        ctx.log(`restore: etcd on ${first.hostname} runs from the snapshot (recorded now; nothing was bootstrapped again)`);
        return;
    }
    const why = !ours
        ? `no restore of ${snapshot} (sha256 ${sha256}) was started into it from this project folder`
        : marker.sha256 !== sha256
          ? `the restore started from this project folder was from ${marker.snapshot} (sha256 ${marker.sha256}), not from ${snapshot} (sha256 ${sha256})`
          : `a restore of ${snapshot} into ${first.hostname} was started from this project folder at ${marker.startedAt}, but ${first.hostname} has booted again since, so this is no proof that its etcd runs from the snapshot`;
    throw new Error(
        `etcd already runs on ${running.hostname} (${running.ip}): this cluster is bootstrapped, and ${why}, so it is not restored into ` +
            "(etcd is never bootstrapped over a running cluster, whose data it would lose). " +
            "To restore it from the snapshot, reset it first: pulumi destroy (README, Restore drill), then pulumi up. " +
            "If it already is restored from this snapshot (a pulumi up stopped after the bootstrap and before it recorded it, run on another machine or without the marker): " +
            "remove platform:talos.restoreFrom and set platform:talos.adoptBootstrap: true for one pulumi up, which records the running cluster's bootstrap instead of repeating it; " +
            "then remove adoptBootstrap again (and leave restoreFrom unset for the life of this cluster)",
    );
}

/** etcd bootstrapped from the snapshot works: its first member voting, with a leader and no errors, and the API answers. */
async function waitRestoredHealthy(ctx: RunContext, controlPlanes: NodeTarget[], first: NodeTarget): Promise<void> {
    await ctx.waitFor(`etcd on ${first.hostname} and the Kubernetes API healthy after the restore`, ctx.timings.nodeMs, async () => {
        const state = await ctx.talos.etcdServiceState(first.ip);
        if (state !== "Running") return `etcd on ${first.hostname} is ${state}`;
        const member = (await ctx.talos.etcdMembers(first.ip)).find((m) => m.hostname === first.hostname);
        if (!member) return `${first.hostname} is not an etcd member`;
        if (member.learner) return `${first.hostname} is an etcd learner`;
        const { rows, failures } = await ctx.talos.etcdStatus(first.ip, [first.ip]);
        const row = rows.find((r) => r.node === first.ip);
        if (!row) return `etcd status of ${first.hostname}: no answer${failures ? ` (${failures.split("\n")[0]})` : ""}`;
        if (row.errors) return `etcd on ${first.hostname} reports: ${row.errors}`;
        if (!row.leader || /^0+$/.test(row.leader)) return `etcd on ${first.hostname} has no leader`;
        await (await ctx.kube(controlPlanes)).version();
        return undefined;
    });
}
