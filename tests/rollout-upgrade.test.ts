import * as fs from "fs";
import { createHash } from "crypto";
import { cordonedAtEnd, disruptionIntervals, overlaps, startSimCluster, type SimCluster, type SimEvent, type SimNodeSpec } from "./support/sim";
import { currentTarget, request, runCli, trace, withTalos } from "./support/rollout";

/**
 * A Talos upgrade rolled by the real rollout process against the simulated cluster: the safety
 * properties are read from the sim's event log, never from the executor's own account.
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };

function spec(workers: number): SimNodeSpec[] {
    const out: SimNodeSpec[] = [];
    for (let i = 1; i <= 3; i++) out.push({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane", talos: "v1.11.6", schematic: SCHEMATIC });
    for (let i = 1; i <= workers; i++) out.push({ hostname: `w-${i}`, ip: `10.0.0.2${i}`, role: "worker", talos: "v1.11.6", schematic: SCHEMATIC });
    return out;
}

const disruptive = (e: SimEvent) => ["cordon", "upgrade-requested", "reboot-requested", "forfeit-leadership"].includes(e.op) && e.source !== "sim";

let sim: SimCluster;
afterEach(async () => {
    await sim?.close();
});

async function start(workers = 1, talosctl = "v1.12.1") {
    sim = await startSimCluster({
        talosctlVersion: talosctl,
        kubernetesVersion: "1.34.1",
        nodes: spec(workers),
        timing: FAST,
        pods: [
            { namespace: "apps", name: "web-1", node: "cp-1", owner: { kind: "ReplicaSet", name: "web" }, pdb: "web" },
            { namespace: "apps", name: "web-2", node: "cp-2", owner: { kind: "ReplicaSet", name: "web" }, pdb: "web" },
            { namespace: "kube-system", name: "cilium-x", node: "cp-1", owner: { kind: "DaemonSet", name: "cilium" } },
        ],
        pdbs: [{ namespace: "apps", name: "web", maxUnavailable: 1 }],
    });
    return currentTarget(sim, "1.34.1");
}

test("upgrades one node at a time, control planes first, each behind the gate, and leaves nothing cordoned", async () => {
    const before = await start(1);
    const desired = withTalos(before, "v1.12.1");
    const run = await runCli(sim, request(sim, "update", before.target, desired));
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.code).toBe(0);

    expect(sim.nodes().map((n) => [n.hostname, n.version, n.schematic])).toEqual(["cp-1", "cp-2", "cp-3", "w-1"].map((h) => [h, "v1.12.1", SCHEMATIC]));
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(trace(sim.events, ["upgrade-requested"]).filter((l) => !l.startsWith("-"))).toEqual(["cp-1 upgrade-requested", "cp-2 upgrade-requested", "cp-3 upgrade-requested", "w-1 upgrade-requested"]);
    expect(cordonedAtEnd(sim)).toEqual([]);

    // The gate (etcd status of every control plane and the node list) runs between one node's return and the next node's drain.
    const ups = sim.events.filter((e) => e.op === "node-up");
    const cordons = sim.events.filter((e) => e.op === "cordon" && e.source === "kube");
    for (let i = 1; i < cordons.length; i++) {
        const back = ups.filter((u) => u.seq < cordons[i].seq).pop()!;
        const between = sim.events.filter((e) => e.seq > back.seq && e.seq < cordons[i].seq);
        expect(between.some((e) => e.op === "talosctl etcd status")).toBe(true);
        expect(between.some((e) => e.op === "nodes-listed")).toBe(true);
    }

    // An etcd snapshot before the first control-plane upgrade, reported with its sha256.
    const snapshot = sim.events.find((e) => e.op === "snapshot")!;
    expect(snapshot.seq).toBeLessThan(sim.events.find((e) => e.op === "upgrade-requested")!.seq);
    expect(run.result!.snapshot!.sha256).toBe(createHash("sha256").update(fs.readFileSync(run.result!.snapshot!.path)).digest("hex"));
    expect(run.result!.achieved).toEqual(desired.target);

    // The new configurations (new installer image; with a minor, the new contract) reach the nodes
    // only once every node runs the new version: no node gets one while another is on the old.
    const applied = sim.events.filter((e) => e.op === "config-applied" || e.op === "config-staged");
    expect(new Set(applied.map((e) => e.node))).toEqual(new Set(["cp-1", "cp-2", "cp-3", "w-1"]));
    expect(applied[0]!.seq).toBeGreaterThan(ups[ups.length - 1]!.seq);
}, 60_000);

test("a PodDisruptionBudget that blocks the drain stops the rollout naming the pod; the node is uncordoned and the rest untouched", async () => {
    const before = await start(0);
    sim.faults.pdbBlocks("apps", "web");
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.12.1")));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rollout failed: draining cp-1: pod apps\/web-1 could not be evicted within 1s: Cannot evict pod as it would violate the pod's disruption budget\..*check its PodDisruptionBudget/);
    expect(sim.events.filter((e) => e.op === "upgrade-requested")).toEqual([]);
    expect(sim.events.filter(disruptive).map((e) => e.node)).toEqual(["cp-1"]);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("a node that comes back on the old version stops the rollout; nothing after it is touched", async () => {
    const before = await start(0);
    sim.faults.comesBackOn("cp-1", { version: "v1.11.6" });
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.12.1")));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rollout failed: cp-1 back from its upgrade (node timeout 4s from the request): cp-1 came back on Talos v1.11.6 (schematic " + SCHEMATIC + ") instead of v1.12.1");
    expect(new Set(sim.events.filter(disruptive).map((e) => e.node))).toEqual(new Set(["cp-1"]));
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("a node that never returns from its upgrade stops the rollout at the node timeout, naming it; no other node is touched and the rest stay schedulable", async () => {
    const before = await start(1);
    sim.faults.neverReturns("cp-2");
    const req = request(sim, "update", before.target, withTalos(before, "v1.12.1"), { timings: { ...request(sim, "update", undefined, before).policy.timings, nodeMs: 1500 } });
    const run = await runCli(sim, req);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rollout failed: cp-2 back from its upgrade \(node timeout 1\.5s from the request\): not ready after 1\.\ds \(\d+ attempts\); last failure: the Talos API does not answer/);
    // cp-1 done, cp-2 down for good, cp-3 and the worker never disrupted.
    expect(sim.nodes().map((n) => [n.hostname, n.version])).toEqual([
        ["cp-1", "v1.12.1"],
        ["cp-2", "v1.11.6"],
        ["cp-3", "v1.11.6"],
        ["w-1", "v1.11.6"],
    ]);
    expect(new Set(sim.events.filter(disruptive).map((e) => e.node))).toEqual(new Set(["cp-1", "cp-2"]));
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("a schematic change whose node comes back on the old schematic stops the rollout; nothing after it is touched", async () => {
    const before = await start(0, "v1.11.6");
    const NEW = "b".repeat(64);
    sim.faults.comesBackOn("cp-1", { schematic: SCHEMATIC });
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.11.6", NEW)));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`rollout failed: cp-1 back from its upgrade (node timeout 4s from the request): cp-1 came back on Talos v1.11.6 (schematic ${SCHEMATIC}) instead of v1.11.6 (schematic ${NEW})`);
    expect(new Set(sim.events.filter(disruptive).map((e) => e.node))).toEqual(new Set(["cp-1"]));
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("an unhealthy etcd member holds the gate shut before the first node: nothing is disrupted", async () => {
    const before = await start(0);
    sim.faults.etcdUnhealthy("cp-3", "etcdserver: request timed out");
    const req = request(sim, "update", before.target, withTalos(before, "v1.12.1"), { timings: { ...request(sim, "update", undefined, before).policy.timings, healthMs: 600 } });
    const run = await runCli(sim, req);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the health gate did not pass, so the upgrade of cp-1 to v1.12.1 did not start");
    expect(run.stderr).toContain("etcd on cp-3 reports: etcdserver: request timed out");
    expect(sim.events.filter(disruptive)).toEqual([]);
}, 60_000);

test.each([
    ["mid-drain", "evict"],
    ["mid-upgrade", "upgrade-requested"],
    ["while the node reboots", "node-down"],
])("killed %s, the next run resumes: finished nodes are not upgraded again and nothing stays cordoned", async (_when, op) => {
    const before = await start(0);
    const desired = withTalos(before, "v1.12.1");
    const first = await runCli(sim, request(sim, "update", before.target, desired), (e) => e.op === op && e.node === "cp-2");
    expect(first.killed).toBe(true);
    const second = await runCli(sim, request(sim, "update", before.target, desired));
    expect(second.stderr).not.toContain("rollout failed");
    expect(second.stderr).toContain("cp-1: already runs v1.12.1");
    expect(sim.nodes().every((n) => n.version === "v1.12.1")).toBe(true);
    // cp-1 once; cp-2 once or (killed before its upgrade started) in the second run only.
    expect(trace(sim.events, ["upgrade-requested"])).toEqual(["cp-1 upgrade-requested", "cp-2 upgrade-requested", "cp-3 upgrade-requested"]);
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("the installed talosctl must be of the Talos minor the cluster runs or moves to", async () => {
    const before = await start(0, "v1.10.7");
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.12.1")));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rollout failed: talosctl v1.10.7 is installed, but this change needs talosctl 1.11 or 1.12.x");
    expect(sim.events.filter(disruptive)).toEqual([]);
}, 60_000);

test("workers go maxParallelWorkers at a time, after every control plane; control planes never overlap anything", async () => {
    const before = await start(2);
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.12.1"), { maxParallelWorkers: 2 }));
    expect(run.stderr).not.toContain("rollout failed");
    const pairs = overlaps(disruptionIntervals(sim.events)).map((o) => [o[0].node, o[1].node].sort().join("+"));
    expect(pairs).toEqual(["w-1+w-2"]);
    const upgrades = trace(sim.events, ["upgrade-requested"]);
    expect(upgrades.slice(0, 3)).toEqual(["cp-1 upgrade-requested", "cp-2 upgrade-requested", "cp-3 upgrade-requested"]);
    expect(upgrades.slice(3).sort()).toEqual(["w-1 upgrade-requested", "w-2 upgrade-requested"]);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("a worker failing in a parallel batch is reported only once the other worker's step is over (uncordoned, nothing left mid-step)", async () => {
    sim = await startSimCluster({
        talosctlVersion: "v1.12.1",
        kubernetesVersion: "1.34.1",
        nodes: spec(2),
        timing: FAST,
        pods: [{ namespace: "apps", name: "db-1", node: "w-1", owner: { kind: "StatefulSet", name: "db" }, pdb: "db" }],
        pdbs: [{ namespace: "apps", name: "db", maxUnavailable: 0 }],
    });
    const before = currentTarget(sim, "1.34.1");
    sim.faults.neverReturns("w-2");
    const req = request(sim, "update", before.target, withTalos(before, "v1.12.1"), { maxParallelWorkers: 2, timings: { ...request(sim, "update", undefined, before).policy.timings, nodeMs: 1500 } });
    const run = await runCli(sim, req);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n");
    // The drain of w-1 fails first; the report waits until w-2's step has ended (timed out and uncordoned).
    expect(lines.at(-1)).toMatch(/rollout failed: draining w-1: pod apps\/db-1 could not be evicted/);
    expect(lines.findIndex((l) => /w-2: uncordoned/.test(l))).toBeGreaterThan(-1);
    expect(lines.findIndex((l) => /w-2: uncordoned/.test(l))).toBeLessThan(lines.length - 1);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("adopting a running cluster (no previous target): upgrade paths are checked from the versions the nodes run", async () => {
    const before = await start(0);
    const skip = await runCli(sim, request(sim, "create", undefined, withTalos(before, "v1.13.0")));
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain('rollout failed: the rollout plan is refused, nothing was changed:\n  - platform:versions.talos = "v1.13.0": v1.11.6 → v1.13.0 skips a Talos minor');
    expect(sim.events.filter(disruptive)).toEqual([]);

    const step = await runCli(sim, request(sim, "create", undefined, withTalos(before, "v1.12.1")));
    expect(step.stderr).not.toContain("rollout failed");
    expect(sim.nodes().map((n) => n.version)).toEqual(["v1.12.1", "v1.12.1", "v1.12.1"]);
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);
