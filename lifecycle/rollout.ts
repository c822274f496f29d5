import type { ClusterTarget, NodeTarget } from "../model";
import { describePlan, planRollout, refusal } from "../planners/rollout";
import { compareVersions, minorOf } from "../planners/versions";
import { credentialsFromTalosconfig, probeTalosApi } from "./api-probe";
import { RunContext, type Log } from "./context";
import { waitHealthy, waitStable } from "./health";
import { addNode, applyConfig, removeNode, uncordonIfOurs, upgradeNode, type BeforeRisk } from "./node-steps";
import type { RolloutRequest, RolloutResult, SnapshotRecord } from "./request";
import { takeSnapshot } from "./snapshot";
import { Talosctl } from "./talosctl";
import { destroyCluster } from "./destroy";

/**
 * One run of the rollout: converges the cluster from the target of the last successful run to the
 * desired one, one disruption at a time, each behind the health gate (see planners/rollout.ts for
 * the order). Every step checks the live node first, so a run that was killed resumes where it
 * stopped; the first failure stops the run, leaving the nodes not yet reached untouched.
 */
export async function runRollout(request: RolloutRequest, log: Log): Promise<RolloutResult> {
    const ctx = new RunContext(request, log);
    try {
        if (request.operation === "delete") return await destroyCluster(ctx);
        return await converge(ctx);
    } finally {
        ctx.close();
    }
}

const isCp = (n: NodeTarget) => n.role === "controlplane";
const byRole = (nodes: NodeTarget[]) => [...nodes.filter(isCp), ...nodes.filter((n) => !isCp(n))];

/** Checks the installed talosctl against the Talos minors this run talks to. */
export async function checkTalosctl(talosVersions: string[]): Promise<void> {
    const minors = [...new Set(talosVersions.map(minorOf))].sort();
    let client: string;
    try {
        client = await Talosctl.clientVersion();
    } catch (err) {
        throw new Error(`${(err as Error).message}. This change needs talosctl ${minors.join(" or ")}.x: install it from https://github.com/siderolabs/talos/releases`);
    }
    if (!minors.includes(minorOf(client))) {
        throw new Error(
            `talosctl ${client} is installed, but this change needs talosctl ${minors.join(" or ")}.x (the Talos minor the cluster runs${minors.length > 1 ? " or moves to" : ""}): ` +
                "install that release from https://github.com/siderolabs/talos/releases and run pulumi up again",
        );
    }
}

/**
 * Whether the nodes already run this cluster: "configured" when one answers talosctl with this
 * cluster's client certificate, "fresh" when none does (maintenance mode, or not up yet),
 * "unchecked" when talosctl is not installed (see firstRunWithoutTalosctl).
 */
async function clusterState(ctx: RunContext, nodes: NodeTarget[]): Promise<"configured" | "fresh" | "unchecked"> {
    try {
        await Talosctl.clientVersion();
    } catch {
        return "unchecked";
    }
    for (const n of nodes) if (await reachable(ctx, n)) return "configured";
    return "fresh";
}

/**
 * The versions the cluster really runs, for a run with no previous target to trust (a lost or new
 * state, or one recorded without talosctl): the lowest Talos version among the nodes that answer
 * and the API server's Kubernetes version. Upgrade paths are checked from there.
 */
async function liveBase(ctx: RunContext, desired: ClusterTarget): Promise<ClusterTarget> {
    const versions: string[] = [];
    for (const n of desired.nodes) {
        try {
            versions.push(await ctx.talos.version(n.ip));
        } catch {
            // not configured yet, or down: the steps below check it again
        }
    }
    const lowest = versions.sort(compareVersions)[0] ?? desired.talos.version;
    const kube = await ctx.kube(desired.nodes.filter(isCp));
    const kubernetes = (await kube.version()).replace(/^v/, "");
    return { ...desired, talos: { ...desired.talos, version: lowest }, kubernetes };
}

/**
 * A run with no baseline and no talosctl. Only the first bring-up may go on without it (it needs
 * none): every node must then be unconfigured, checked by its API certificate (api-probe.ts). A
 * node that already runs this cluster (a lost state, a rollout added to a running cluster) is
 * adopted, which needs talosctl; so does any later run. With nodes that do not answer, the target
 * is recorded as unverified and the next run checks them live.
 */
async function firstRunWithoutTalosctl(ctx: RunContext, desired: ClusterTarget): Promise<RolloutResult> {
    const minor = [desired.talos.version];
    if (ctx.request.operation !== "create") await checkTalosctl(minor);
    const creds = credentialsFromTalosconfig(ctx.request.talosconfig);
    const states = await Promise.all(desired.nodes.map(async (n) => ({ n, state: await probeTalosApi(n.ip, creds, { timeoutMs: PROBE_TIMEOUT_MS }) })));
    const configured = states.filter((s) => s.state === "configured").map((s) => s.n.hostname);
    if (configured.length > 0) {
        ctx.log(`${configured.join(", ")} already run${configured.length === 1 ? "s" : ""} this cluster: adopting the nodes needs talosctl`);
        await checkTalosctl(minor);
    }
    const silent = states.filter((s) => s.state === "unreachable").map((s) => s.n.hostname);
    if (silent.length > 0) {
        ctx.log(`first run without talosctl: ${silent.join(", ")} did not answer; recorded as unchecked, the next run checks the nodes live`);
        return { achieved: desired, verified: false };
    }
    ctx.log("first run: every node is in maintenance mode, installed by its configuration apply; nothing to roll");
    return { achieved: desired };
}

/** How long a node may take to answer the API probe of a first run without talosctl. */
const PROBE_TIMEOUT_MS = 5000;

async function converge(ctx: RunContext): Promise<RolloutResult> {
    const { previous, desired } = ctx.request;
    let base = previous;
    if (base === undefined) {
        const state = await clusterState(ctx, desired.nodes);
        if (state === "unchecked") return await firstRunWithoutTalosctl(ctx, desired);
        if (state === "fresh") {
            ctx.log("first run: the nodes are installed from maintenance mode by their configuration applies; nothing to roll");
            return { achieved: desired };
        }
        ctx.log("the nodes already run this cluster: adopting them (upgrade paths checked from the versions they run; every node is checked against the target)");
        base = await liveBase(ctx, desired);
    }
    const reconcile = previous === undefined;
    const { plan, problems } = planRollout(base, desired);
    if (problems.length > 0) throw new Error(refusal(problems));
    await checkTalosctl([base.talos.version, desired.talos.version]);
    for (const line of describePlan(plan)) ctx.log(`plan: ${line}`);

    let snapshot: SnapshotRecord | undefined;
    const wanted = new Map(desired.nodes.map((n) => [n.hostname, n]));
    let members = base.nodes.filter((n) => plan.nodes[n.hostname]?.action !== "add").map((n) => wanted.get(n.hostname) ?? n);
    const beforeRisk: BeforeRisk = async (node, what) => {
        if (snapshot === undefined) snapshot = await takeSnapshot(ctx, members.filter(isCp), what, node.hostname);
    };
    const removing = byRole(base.nodes.filter((n) => plan.nodes[n.hostname]?.action === "remove")).reverse();
    const remove = async (n: NodeTarget) => {
        await removeNode(ctx, n, members, beforeRisk);
        members = members.filter((m) => m.hostname !== n.hostname);
    };

    // etcd needs a majority of its members to remove one; without it, nothing here can help.
    const controlPlanes = members.filter(isCp);
    const down: NodeTarget[] = [];
    for (const n of controlPlanes) if (!(await reachable(ctx, n))) down.push(n);
    if (controlPlanes.length - down.length < Math.floor(controlPlanes.length / 2) + 1) {
        throw new Error(
            `${down.map((n) => n.hostname).join(", ")} of the ${controlPlanes.length} control planes do not answer: etcd has no quorum, so no member can join, leave or be upgraded. ` +
                "Bring them back, or restore the cluster from an etcd snapshot (README, Restore drill); nothing was changed",
        );
    }

    // A dead node on its way out goes first: every later step would otherwise run with a member down.
    for (const n of removing) {
        if (!(await reachable(ctx, n))) await remove(n);
    }

    const upgrades = byRole(members.filter((n) => wanted.has(n.hostname) && (reconcile || plan.nodes[n.hostname]?.action === "upgrade")));
    for (const batch of batches(upgrades, ctx.policy.maxParallelWorkers)) {
        await settleAll(batch.map((n) => upgradeNode(ctx, n, desired.talos, members, beforeRisk)));
    }

    if (reconcile || plan.kubernetes) await upgradeKubernetes(ctx, members, desired.kubernetes);

    const rebootQueue: NodeTarget[] = [];
    for (const n of byRole(members.filter((m) => wanted.has(m.hostname)))) {
        if (await applyConfig(ctx, n, members, false)) rebootQueue.push(n);
    }
    for (const batch of batches(rebootQueue, ctx.policy.maxParallelWorkers)) {
        await settleAll(batch.map((n) => applyConfig(ctx, n, members, true)));
    }

    for (const n of byRole(desired.nodes.filter((m) => plan.nodes[m.hostname]?.action === "add"))) {
        await addNode(ctx, n, members);
        members = [...members, n];
    }
    for (const n of removing) {
        if (members.some((m) => m.hostname === n.hostname)) await remove(n);
    }

    for (const n of members) await uncordonIfOurs(ctx, n, members);
    ctx.log("rollout complete");
    return { achieved: desired, ...(snapshot ? { snapshot } : {}) };
}

/**
 * Waits for every step of a batch, then fails with the first failure: a node still in its step
 * when another fails is finished (and uncordoned) before the run reports, so the process never
 * ends with a node mid-step.
 */
async function settleAll(steps: Promise<unknown>[]): Promise<void> {
    const failed = (await Promise.allSettled(steps)).find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
}

/** Control planes one at a time; workers up to `maxParallel` at a time. */
function batches(nodes: NodeTarget[], maxParallel: number): NodeTarget[][] {
    const out: NodeTarget[][] = nodes.filter(isCp).map((n) => [n]);
    const workers = nodes.filter((n) => !isCp(n));
    for (let i = 0; i < workers.length; i += Math.max(1, maxParallel)) out.push(workers.slice(i, i + Math.max(1, maxParallel)));
    return out;
}

async function reachable(ctx: RunContext, n: NodeTarget): Promise<boolean> {
    try {
        await ctx.talos.version(n.ip);
        return true;
    } catch {
        return false;
    }
}

/** `upgrade-k8s` semantics, unless the API server and every kubelet already run the target. */
async function upgradeKubernetes(ctx: RunContext, members: NodeTarget[], to: string): Promise<void> {
    const want = `v${to.replace(/^v/, "")}`;
    const kube = await ctx.kube(members.filter(isCp));
    const current = async () => [await kube.version(), ...(await kube.nodes()).filter((k) => members.some((m) => m.hostname === k.name)).map((k) => k.kubeletVersion)];
    if ((await current()).every((v) => v === want)) {
        ctx.log(`kubernetes: already at ${want}; skipped`);
        return;
    }
    const what = `the Kubernetes upgrade to ${want}`;
    await waitHealthy(ctx, { nodes: members }, what);
    const via = members.find(isCp)!;
    ctx.log(`kubernetes: upgrading to ${want} through ${via.hostname} (control planes one at a time, then each kubelet)`);
    const output = await ctx.talos.upgradeKubernetes(via.ip, to, ctx.timings.kubernetesMs);
    for (const line of output.trim().split("\n").slice(-3)) ctx.log(`kubernetes: ${line.trim()}`);
    const after = await current();
    if (!after.every((v) => v === want)) throw new Error(`talosctl upgrade-k8s finished but the cluster reports ${[...new Set(after)].join(", ")} instead of ${want}`);
    await waitStable(ctx, { nodes: members }, what);
}

