import type { ClusterTarget, NodeTarget } from "../model";
import { fatal, type RunContext } from "./context";
import { drain } from "./drain";
import { matches, removeDeadMember, waitMaintenance } from "./destroy";
import { waitHealthy, waitStable } from "./health";
import { formatDuration } from "../readiness/poll";

/**
 * What the rollout does to one node, each step checked against the live node first (a node already
 * where it should be is skipped, so a resumed run never repeats finished work) and verified after
 * (a node must come back with a new boot id, on the expected version and schematic, Ready).
 */

const isCp = (n: NodeTarget) => n.role === "controlplane";

/** Called right before the first risky control-plane step of a run (takes the etcd snapshot). */
export type BeforeRisk = (node: NodeTarget, what: string) => Promise<void>;

/**
 * Waits until a node has rebooted (new boot id), runs and is Ready; optionally checks what it runs.
 * The node timeout counts from the request that made it go (`request.at`, epoch ms): a v1.13
 * client's upgrade call waits for the install, which is part of the node's time.
 */
async function waitBack(ctx: RunContext, n: NodeTarget, bootBefore: string, members: NodeTarget[], request: { kind: "upgrade" | "reboot"; at: number }, expect?: ClusterTarget["talos"]): Promise<void> {
    const kube = await ctx.kube(members.filter(isCp));
    ctx.log(`${n.hostname}: waiting for it to come back`);
    const what = `${n.hostname} back from its ${request.kind} (node timeout ${formatDuration(ctx.timings.nodeMs)} from the request)`;
    await ctx.waitFor(what, Math.max(request.at + ctx.timings.nodeMs - Date.now(), 0), async () => {
        let boot: string;
        try {
            boot = await ctx.talos.bootId(n.ip);
        } catch {
            return "the Talos API does not answer (rebooting)";
        }
        if (boot === bootBefore) return "it has not rebooted yet";
        const status = await ctx.talos.machineStatus(n.ip);
        if (status.stage !== "running" || !status.ready) return `Talos is ${status.stage}${status.ready ? "" : ", not ready"}`;
        if (expect) {
            const [version, schematic] = [await ctx.talos.version(n.ip), await ctx.talos.schematic(n.ip)];
            if (version !== expect.version || schematic !== expect.schematic) {
                throw fatal(
                    `${n.hostname} came back on Talos ${version} (schematic ${schematic || "none"}) instead of ${expect.version} (schematic ${expect.schematic}): ` +
                        `the upgrade did not take; see talosctl -n ${n.ip} dmesg`,
                );
            }
        }
        const k = (await kube.nodes()).find((x) => x.name === n.hostname);
        return k?.ready ? undefined : `not Ready in Kubernetes (${k?.notReadyWhy ?? "not registered"})`;
    });
    ctx.log(`${n.hostname}: back`);
}

/**
 * The common frame of a disruption: cordon and drain, hand off etcd leadership, act, then uncordon
 * (also when the action fails) and watch the cluster for the stability window.
 */
async function disrupt(ctx: RunContext, n: NodeTarget, members: NodeTarget[], action: (bootBefore: string) => Promise<void>, what: string): Promise<void> {
    const kube = await ctx.kube(members.filter(isCp));
    try {
        await drain(ctx, kube, n.hostname);
        if (isCp(n)) {
            await ctx.talos.forfeitLeadership(n.ip);
            ctx.log(`${n.hostname}: handed off etcd leadership`);
        }
        const bootBefore = await ctx.talos.bootId(n.ip);
        await action(bootBefore);
    } finally {
        await uncordon(ctx, n, members);
    }
    await waitStable(ctx, { nodes: members }, what);
}

/** Uncordons a node the rollout cordoned; never fails the run over it (the error is logged). */
export async function uncordon(ctx: RunContext, n: NodeTarget, members: NodeTarget[]): Promise<void> {
    try {
        const kube = await ctx.kube(members.filter(isCp));
        await kube.setCordon(n.hostname, false);
        ctx.log(`${n.hostname}: uncordoned`);
    } catch (err) {
        ctx.log(`${n.hostname}: could not uncordon (${(err as Error).message}); run pulumi up again, or uncordon it by hand`);
    }
}

/** Talos OS upgrade to `target` with the Factory installer, unless the node already runs it. */
export async function upgradeNode(ctx: RunContext, n: NodeTarget, target: ClusterTarget["talos"], members: NodeTarget[], beforeRisk: BeforeRisk): Promise<void> {
    const what = `the upgrade of ${n.hostname} to ${target.version}`;
    await waitHealthy(ctx, { nodes: members }, what);
    const [version, schematic] = [await ctx.talos.version(n.ip), await ctx.talos.schematic(n.ip)];
    if (version === target.version && schematic === target.schematic) {
        ctx.log(`${n.hostname}: already runs ${version} (schematic ${schematic.slice(0, 12)}); skipped`);
        await uncordonIfOurs(ctx, n, members);
        return;
    }
    if (isCp(n)) await beforeRisk(n, `upgrade of ${n.hostname}`);
    ctx.log(`${n.hostname}: upgrading ${version} → ${target.version}${schematic === target.schematic ? "" : ` (schematic ${schematic.slice(0, 12) || "none"} → ${target.schematic.slice(0, 12)})`}`);
    await disrupt(
        ctx,
        n,
        members,
        async (bootBefore) => {
            const at = Date.now();
            await ctx.talos.upgrade(n.ip, target.image, ctx.timings.nodeMs);
            await waitBack(ctx, n, bootBefore, members, { kind: "upgrade", at }, target);
        },
        what,
    );
}

/**
 * Brings a node's machine configuration to the desired one. A change Talos applies live is applied
 * at once (and returns false); one that needs a reboot returns true, unless `reboot` is set, in which
 * case the configuration is staged and the node rebooted through the gate.
 */
export async function applyConfig(ctx: RunContext, n: NodeTarget, members: NodeTarget[], reboot: boolean): Promise<boolean> {
    const file = ctx.configFile(n);
    const outcome = await ctx.talos.dryRun(n.ip, file);
    if (outcome === "unchanged") {
        if (reboot) await uncordonIfOurs(ctx, n, members);
        return false;
    }
    if (outcome === "immediate") {
        await ctx.talos.applyConfig(n.ip, file, "no-reboot");
        ctx.log(`${n.hostname}: configuration applied without a reboot`);
        return false;
    }
    if (!reboot) return true;
    const what = `the reboot of ${n.hostname} for its configuration`;
    await waitHealthy(ctx, { nodes: members }, what);
    ctx.log(`${n.hostname}: the configuration change needs a reboot; staging it`);
    await disrupt(
        ctx,
        n,
        members,
        async (bootBefore) => {
            await ctx.talos.applyConfig(n.ip, file, "staged");
            const at = Date.now();
            await ctx.talos.reboot(n.ip);
            await waitBack(ctx, n, bootBefore, members, { kind: "reboot", at });
            if ((await ctx.talos.dryRun(n.ip, file)) !== "unchanged") {
                throw new Error(`${n.hostname} rebooted but does not run the staged configuration; check talosctl -n ${n.ip} get machineconfig`);
            }
        },
        what,
    );
    return false;
}

/** A node left cordoned by an interrupted run is uncordoned once it is healthy. */
export async function uncordonIfOurs(ctx: RunContext, n: NodeTarget, members: NodeTarget[]): Promise<void> {
    const kube = await ctx.kube(members.filter(isCp));
    const k = (await kube.nodes()).find((x) => x.name === n.hostname);
    if (k?.cordonedByRollout) {
        ctx.log(`${n.hostname}: left cordoned by an interrupted run`);
        await uncordon(ctx, n, members);
    }
}

/** Joins a new node: installs it from maintenance mode, waits until it is a voting etcd member (control plane) and Ready. */
export async function addNode(ctx: RunContext, n: NodeTarget, members: NodeTarget[]): Promise<void> {
    const what = `adding ${n.hostname}`;
    await waitHealthy(ctx, { nodes: members }, what);
    let installed = true;
    try {
        await ctx.talos.version(n.ip);
    } catch {
        installed = false;
    }
    if (installed) ctx.log(`${n.hostname}: already configured; waiting for it to join`);
    else {
        ctx.log(`${n.hostname}: installing from maintenance mode`);
        await ctx.talos.install(n.ip, ctx.configFile(n));
    }
    const joined = [...members, n];
    await ctx.waitFor(`${n.hostname} to join`, ctx.timings.nodeMs, async () => {
        try {
            const status = await ctx.talos.machineStatus(n.ip);
            if (status.stage !== "running" || !status.ready) return `Talos is ${status.stage}`;
        } catch {
            return "installing (the Talos API does not answer with the cluster's certificate yet)";
        }
        if (isCp(n)) {
            const via = members.find(isCp) ?? n;
            const member = (await ctx.talos.etcdMembers(via.ip)).find((m) => m.hostname === n.hostname);
            if (!member) return "not an etcd member yet";
            if (member.learner) return "an etcd learner, not yet promoted to a voting member";
        }
        const k = (await (await ctx.kube(joined.filter(isCp))).nodes()).find((x) => x.name === n.hostname);
        return k?.ready ? undefined : "not Ready in Kubernetes yet";
    });
    ctx.log(`${n.hostname}: joined`);
    await waitStable(ctx, { nodes: joined }, what);
}

/**
 * Takes a node out: drained, etcd leadership handed off and the member left (or, for a dead node,
 * removed by member id from a healthy control plane), reset into maintenance mode (resetOnDestroy)
 * or shut down, and its Kubernetes Node object deleted.
 */
export async function removeNode(ctx: RunContext, n: NodeTarget, members: NodeTarget[], beforeRisk: BeforeRisk): Promise<void> {
    const rest = members.filter((m) => m.hostname !== n.hostname);
    const what = `the removal of ${n.hostname}`;
    await waitHealthy(ctx, { nodes: rest, ignore: [n.hostname] }, what);
    if (isCp(n)) await beforeRisk(n, `removal of ${n.hostname}`);
    const kube = await ctx.kube(rest.filter(isCp));
    let reachable = true;
    try {
        await ctx.talos.version(n.ip);
    } catch {
        reachable = false;
    }
    if (reachable) {
        if ((await kube.nodes()).some((k) => k.name === n.hostname)) await drain(ctx, kube, n.hostname);
        if (isCp(n)) {
            // A run killed after the leave finds the node running but no longer a member.
            const via = rest.find(isCp);
            if (via && !(await ctx.talos.etcdMembers(via.ip)).some((m) => matches(m, n))) {
                ctx.log(`${n.hostname}: no longer an etcd member (an earlier run took it out)`);
            } else {
                await ctx.talos.forfeitLeadership(n.ip);
                await ctx.talos.etcdLeave(n.ip);
                ctx.log(`${n.hostname}: left etcd`);
            }
        }
        if (ctx.policy.resetOnDestroy) {
            await ctx.talos.reset(n.ip, false);
            await waitMaintenance(ctx, n);
            ctx.log(`${n.hostname}: reset into maintenance mode`);
        } else {
            await ctx.talos.shutdown(n.ip);
            ctx.log(`${n.hostname}: shut down (resetOnDestroy is off: its disks are kept)`);
        }
    } else {
        ctx.log(`${n.hostname}: unreachable; removing it without its help`);
        if (isCp(n)) {
            const via = rest.find(isCp);
            if (!via) throw new Error(`${n.hostname} is unreachable and no other control plane is left to remove it from etcd`);
            await removeDeadMember(ctx, n, via);
        }
    }
    if (await kube.deleteNode(n.hostname)) ctx.log(`${n.hostname}: Kubernetes Node object deleted`);
    await waitStable(ctx, { nodes: rest }, what);
}
