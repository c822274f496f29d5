import * as fs from "fs";
import { disruptionIntervals, factoryInstaller, overlaps, startSimCluster, type SimCluster, type SimNodeSpec } from "./support/sim";
import { currentTarget, request, runCli, trace } from "./support/rollout";
import { summarizeConfig } from "../planners/machine-config";
import type { ClusterTarget } from "../model";

/**
 * Nodes joining and leaving, etcd snapshots before risky steps, and whole-cluster destroy, rolled
 * by the real rollout process against the simulated cluster.
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };
const cp = (i: number): SimNodeSpec => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane", talos: "v1.11.6", schematic: SCHEMATIC });

let sim: SimCluster;
afterEach(async () => {
    await sim?.close();
});

/** The config a new node would get (the sim's default shape, with its own hostname and address). */
function configFor(template: string, host: string, ip: string, from: { host: string; ip: string }): string {
    return template.split(from.host).join(host).split(from.ip).join(ip);
}

function withNode(base: { target: ClusterTarget; configs: Record<string, string> }, host: string, ip: string) {
    const config = configFor(base.configs["cp-1"], host, ip, { host: "cp-1", ip: "10.0.0.11" });
    return {
        configs: { ...base.configs, [host]: config },
        target: { ...base.target, nodes: [...base.target.nodes, { hostname: host, ip, role: "controlplane" as const, macs: [], config: summarizeConfig(config) }] },
    };
}

function without(base: { target: ClusterTarget; configs: Record<string, string> }, host: string) {
    const { [host]: _gone, ...configs } = base.configs;
    return { configs, target: { ...base.target, nodes: base.target.nodes.filter((n) => n.hostname !== host) } };
}

describe("adding control planes", () => {
    test("each is installed from maintenance mode and promoted from learner before the next is touched", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), cp(4), cp(5)], maintenance: ["cp-4", "cp-5"], timing: FAST });
        const before = currentTarget(sim, "1.34.1");
        const desired = withNode(withNode(before, "cp-4", "10.0.0.14"), "cp-5", "10.0.0.15");
        const run = await runCli(sim, request(sim, "update", before.target, desired));
        expect(run.stderr).not.toContain("rollout failed");
        expect(trace(sim.events, ["install-started", "member-promoted"])).toEqual(["cp-4 install-started", "cp-4 member-promoted", "cp-5 install-started", "cp-5 member-promoted"]);
        expect(sim.etcdMembers().filter((m) => !m.learner).map((m) => m.hostname).sort()).toEqual(["cp-1", "cp-2", "cp-3", "cp-4", "cp-5"]);
        expect(sim.node("cp-5").version).toBe("v1.11.6");
    }, 60_000);

    test("a learner that is never promoted stops the run, naming the node", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), cp(4), cp(5)], maintenance: ["cp-4", "cp-5"], timing: FAST });
        sim.faults.learnerNeverPromoted("cp-4");
        const before = currentTarget(sim, "1.34.1");
        const req = request(sim, "update", before.target, withNode(withNode(before, "cp-4", "10.0.0.14"), "cp-5", "10.0.0.15"));
        req.policy.timings = { ...req.policy.timings, nodeMs: 800 };
        const run = await runCli(sim, req);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("rollout failed: cp-4 to join: not ready after 0.8s");
        expect(run.stderr).toContain("an etcd learner, not yet promoted to a voting member");
        expect(sim.events.filter((e) => e.node === "cp-5" && e.op === "install-started")).toEqual([]);
    }, 60_000);
});

describe("removing control planes", () => {
    test("a snapshot first, then drained, leadership handed off, etcd left, shut down and the Node object deleted, one at a time", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), cp(4), cp(5)], timing: FAST });
        const before = currentTarget(sim, "1.34.1");
        const run = await runCli(sim, request(sim, "update", before.target, without(without(before, "cp-5"), "cp-4")));
        expect(run.stderr).not.toContain("rollout failed");
        const ops = ["cordon", "forfeit-leadership", "member-removed", "shutdown-requested", "node-deleted"];
        expect(trace(sim.events.filter((e) => e.source !== "talosctl"), ops)).toEqual(
            ["cp-5", "cp-4"].flatMap((h) => [`${h} cordon`, `${h} forfeit-leadership`, `${h} member-removed`, `${h} shutdown-requested`, `${h} node-deleted`]),
        );
        const snapshot = sim.events.find((e) => e.op === "snapshot")!;
        expect(snapshot.seq).toBeLessThan(sim.events.find((e) => e.op === "cordon")!.seq);
        expect(sim.etcdMembers().map((m) => m.hostname).sort()).toEqual(["cp-1", "cp-2", "cp-3"]);
        expect(sim.node("cp-5").kube.exists).toBe(false);
        expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
        expect(run.result!.snapshot!.before).toBe("removal of cp-5");
        expect(fs.existsSync(run.result!.snapshot!.path)).toBe(true);
    }, 60_000);

    test("killed after the etcd leave, the next run finishes the removal without leaving again", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), cp(4), cp(5)], timing: FAST });
        const before = currentTarget(sim, "1.34.1");
        const desired = without(without(before, "cp-5"), "cp-4");
        const first = await runCli(sim, request(sim, "update", before.target, desired), (e) => e.op === "member-removed" && e.node === "cp-5");
        expect(first.killed).toBe(true);
        const second = await runCli(sim, request(sim, "update", before.target, desired));
        expect(second.stderr).not.toContain("rollout failed");
        expect(second.stderr).toContain("cp-5: no longer an etcd member (an earlier run took it out)");
        expect(trace(sim.events, ["member-removed"])).toEqual(["cp-5 member-removed", "cp-4 member-removed"]);
        expect(sim.etcdMembers().map((m) => m.hostname).sort()).toEqual(["cp-1", "cp-2", "cp-3"]);
        expect(sim.node("cp-5").kube.exists).toBe(false);
        expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    }, 60_000);

    test("an unreachable control plane is removed from etcd by member id through a healthy one, before anything else", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), cp(4), cp(5)], timing: FAST });
        const before = currentTarget(sim, "1.34.1");
        sim.faults.unreachable("cp-5");
        const id = sim.etcdMembers().find((m) => m.hostname === "cp-5")!.id;
        const run = await runCli(sim, request(sim, "update", before.target, without(without(before, "cp-5"), "cp-4")));
        expect(run.stderr).not.toContain("rollout failed");
        const removal = sim.events.find((e) => e.op === "member-removed" && e.node === "cp-5")!;
        expect(removal.detail).toMatchObject({ via: "remove-member" });
        const call = sim.events.find((e) => e.op === "talosctl etcd remove-member")!;
        expect((call.detail as { argv: string[] }).argv.slice(-1)).toEqual([id]);
        expect(call.node).not.toBe("cp-5");
        // Removed first: before anything touched another node.
        expect(call.seq).toBeLessThan(sim.events.find((e) => e.op === "cordon")!.seq);
        expect(sim.etcdMembers().map((m) => m.hostname).sort()).toEqual(["cp-1", "cp-2", "cp-3"]);
    }, 60_000);

    test("a failed snapshot refuses the removal: nothing is touched", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), cp(4), cp(5)], timing: FAST });
        sim.faults.snapshotFails("rpc error: code = Unavailable desc = etcd is not running");
        const before = currentTarget(sim, "1.34.1");
        const run = await runCli(sim, request(sim, "update", before.target, without(without(before, "cp-5"), "cp-4")));
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("the etcd snapshot before removal of cp-5 failed, so removal of cp-5 did not start");
        expect(sim.events.filter((e) => ["cordon", "member-removed", "shutdown-requested", "reset-requested"].includes(e.op))).toEqual([]);
    }, 60_000);
});

describe("first run and destroy", () => {
    test("the first run on nodes in maintenance mode does nothing (the configuration applies install them)", async () => {
        sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3)], maintenance: ["cp-1", "cp-2", "cp-3"], timing: FAST });
        const cfg = "version: v1alpha1\nmachine: {type: controlplane}\n";
        const target: ClusterTarget = {
            cluster: "sim",
            talos: { version: "v1.11.6", schematic: SCHEMATIC, image: factoryInstaller(SCHEMATIC, "v1.11.6") },
            kubernetes: "1.34.1",
            nodes: [1, 2, 3].map((i) => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane" as const, macs: [], config: summarizeConfig(cfg) })),
        };
        const run = await runCli(sim, request(sim, "create", undefined, { target, configs: { "cp-1": cfg, "cp-2": cfg, "cp-3": cfg } }));
        expect(run.code).toBe(0);
        expect(run.stderr).toContain("first run: the nodes are installed from maintenance mode");
        expect(sim.events.filter((e) => e.source === "sim" && e.op !== "snapshot").map((e) => e.op).filter((op) => op.endsWith("requested") || op.startsWith("install"))).toEqual([]);
    }, 60_000);

    test("destroy with resetOnDestroy: a snapshot, workers first, control planes leave etcd one by one, the last one is reset without leaving", async () => {
        sim = await startSimCluster({
            talosctlVersion: "v1.11.6",
            kubernetesVersion: "1.34.1",
            nodes: [cp(1), cp(2), cp(3), { hostname: "w-1", ip: "10.0.0.21", role: "worker", talos: "v1.11.6", schematic: SCHEMATIC }],
            timing: FAST,
        });
        const current = currentTarget(sim, "1.34.1");
        const run = await runCli(sim, request(sim, "delete", undefined, current, { resetOnDestroy: true }));
        expect(run.stderr).not.toContain("rollout failed");
        expect(trace(sim.events, ["reset-requested"])).toEqual(["w-1 reset-requested", "cp-1 reset-requested", "cp-2 reset-requested", "cp-3 reset-requested"]);
        expect(sim.events.find((e) => e.op === "snapshot")!.seq).toBeLessThan(sim.events.find((e) => e.op === "reset-requested")!.seq);
        const graceful = sim.events.filter((e) => e.op === "reset-requested").map((e) => e.detail?.graceful);
        expect(graceful).toEqual([false, true, true, false]);
        expect(sim.nodes().map((n) => n.stage)).toEqual(["maintenance", "maintenance", "maintenance", "maintenance"]);
    }, 60_000);
});

test("with a majority of control planes unreachable (no etcd quorum), the run is refused before anything is touched", async () => {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3)], timing: FAST });
    const before = currentTarget(sim, "1.34.1");
    sim.faults.unreachable("cp-2");
    sim.faults.unreachable("cp-3");
    const run = await runCli(sim, request(sim, "update", before.target, without(before, "cp-3")));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rollout failed: cp-2, cp-3 of the 3 control planes do not answer: etcd has no quorum");
    expect(sim.events.filter((e) => ["cordon", "member-removed", "forfeit-leadership", "snapshot"].includes(e.op))).toEqual([]);
}, 60_000);
