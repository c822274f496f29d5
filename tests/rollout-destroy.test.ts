import { startSimCluster, type SimCluster, type SimEvent, type SimNodeSpec } from "./support/sim";
import { currentTarget, request, runCli, trace } from "./support/rollout";

/**
 * A whole-cluster destroy (resetOnDestroy) with control planes that are dead: the machine and its
 * etcd member down (the sim's `dead` fault; `unreachable` would keep its etcd alive). Safety is
 * read from the sim's event log: the snapshot before any change, the dead member removed by id
 * through a live control plane before the first leave, etcd's quorum kept until the last member is
 * wiped. The graceful path with every node alive is tested in rollout-membership.test.ts.
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };
const cp = (i: number): SimNodeSpec => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane", talos: "v1.11.6", schematic: SCHEMATIC });
const worker: SimNodeSpec = { hostname: "w-1", ip: "10.0.0.21", role: "worker", talos: "v1.11.6", schematic: SCHEMATIC };

let sim: SimCluster;
afterEach(async () => {
    await sim?.close();
});

async function cluster(dead: string[]) {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: [cp(1), cp(2), cp(3), worker], timing: FAST });
    const current = currentTarget(sim, "1.34.1");
    const members = sim.etcdMembers();
    for (const h of dead) sim.faults.dead(h);
    return { current, members, req: () => request(sim, "delete", undefined, current, { resetOnDestroy: true }) };
}

/**
 * Replays the event log over etcd's membership (from `members`): a member leaves on
 * `member-removed`; its machine is down from `node-down`/`node-off`/`fault-dead` until `node-up`.
 * Returns the first event after which the live voting members are no majority of the members.
 */
function quorumLost(events: readonly SimEvent[], members: string[]): SimEvent | undefined {
    const inEtcd = new Set(members);
    const down = new Set<string>();
    for (const e of events) {
        if (!e.node) continue;
        if (e.op === "member-removed") inEtcd.delete(e.node);
        else if (["node-down", "node-off", "fault-dead"].includes(e.op)) down.add(e.node);
        else if (e.op === "node-up") down.delete(e.node);
        else continue;
        const alive = [...inEtcd].filter((h) => !down.has(h)).length;
        if (inEtcd.size > 0 && alive * 2 <= inEtcd.size) return e;
    }
    return undefined;
}

const first = (op: string, node?: string) => sim.events.find((e) => e.op === op && (node === undefined || e.node === node));
const stages = () => Object.fromEntries(sim.nodes().map((n) => [n.hostname, n.stage]));

/** etcd may lose its quorum only when its last member is wiped: after the last reset request. */
function expectQuorumKeptUntilTheLastReset(members: string[]) {
    const lastReset = sim.events.filter((e) => e.op === "reset-requested").at(-1)!;
    const lost = quorumLost(sim.events, members);
    if (lost) expect(lost.seq).toBeGreaterThan(lastReset.seq);
    // The sim's own view agrees: etcd never went leaderless before that.
    expect(sim.events.filter((e) => e.op === "leader-changed" && e.detail?.to === null && e.seq < lastReset.seq)).toEqual([]);
}

test("3 control planes + 1 worker, cp-3 dead: snapshot, the dead member removed by id, then every live node reset, quorum kept", async () => {
    const { members, req } = await cluster(["cp-3"]);
    const deadId = members.find((m) => m.hostname === "cp-3")!.id;
    const run = await runCli(sim, req());
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.code).toBe(0);

    expect(stages()).toEqual({ "cp-1": "maintenance", "cp-2": "maintenance", "cp-3": "off", "w-1": "maintenance" });
    expect(trace(sim.events, ["reset-requested"])).toEqual(["w-1 reset-requested", "cp-1 reset-requested", "cp-2 reset-requested"]);
    // cp-1 leaves with cp-2 still a live member; cp-2, the last, is reset without leaving.
    expect(sim.events.filter((e) => e.op === "reset-requested").map((e) => e.detail?.graceful)).toEqual([false, true, false]);

    // The snapshot first, from a live member; then cp-3's member removed by id through a live one.
    const snapshot = first("snapshot")!;
    expect(["cp-1", "cp-2"]).toContain(snapshot.node);
    const removal = first("talosctl etcd remove-member")!;
    expect((removal.detail as { argv: string[] }).argv.slice(-1)).toEqual([deadId]);
    expect(["cp-1", "cp-2"]).toContain(removal.node);
    expect(first("member-removed", "cp-3")!.detail).toMatchObject({ memberId: deadId, via: "remove-member" });
    expect(snapshot.seq).toBeLessThan(removal.seq);
    expect(removal.seq).toBeLessThan(first("reset-requested")!.seq);
    expect(first("member-removed", "cp-3")!.seq).toBeLessThan(first("member-removed", "cp-1")!.seq);
    expect(sim.events.filter((e) => e.op === "reset-failed")).toEqual([]);

    expectQuorumKeptUntilTheLastReset(members.map((m) => m.hostname));
    expect(run.result!.snapshot!.before).toBe("destroy");
}, 60_000);

test.each([
    ["after the dead member's removal", (e: SimEvent) => e.op === "member-removed" && e.node === "cp-3"],
    ["as cp-1 is asked to leave and reset", (e: SimEvent) => e.op === "reset-requested" && e.node === "cp-1"],
    ["while cp-1 is wiped", (e: SimEvent) => e.op === "wiped" && e.node === "cp-1"],
])("killed %s, a second destroy converges: each live node reset once, the dead member removed once, quorum kept", async (_when, killWhen) => {
    const { members, req } = await cluster(["cp-3"]);
    const killed = await runCli(sim, req(), killWhen);
    expect(killed.killed).toBe(true);
    // The machines finish what they were asked before the second run looks at them.
    if (first("reset-requested", "cp-1")) await sim.waitForEvent((e) => e.op === "node-up" && e.node === "cp-1" && e.detail?.maintenance === true, 3000);

    const again = await runCli(sim, req());
    expect(again.stderr).not.toContain("rollout failed");
    expect(again.code).toBe(0);
    expect(stages()).toEqual({ "cp-1": "maintenance", "cp-2": "maintenance", "cp-3": "off", "w-1": "maintenance" });
    expect(trace(sim.events, ["reset-requested"]).sort()).toEqual(["cp-1 reset-requested", "cp-2 reset-requested", "w-1 reset-requested"]);
    expect(sim.events.filter((e) => e.op === "member-removed" && e.node === "cp-3")).toHaveLength(1);
    expect(sim.events.filter((e) => e.op === "reset-failed")).toEqual([]);
    // Every run that resets a control plane snapshots before it.
    expect(first("snapshot")!.seq).toBeLessThan(first("reset-requested")!.seq);
    expectQuorumKeptUntilTheLastReset(members.map((m) => m.hostname));
}, 60_000);

test("no quorum left (cp-2 and cp-3 dead): snapshot from cp-1, then every live node reset without leaving etcd, saying so", async () => {
    const { members, req } = await cluster(["cp-2", "cp-3"]);
    // The replay sees the quorum go with the second dead machine, before destroy started.
    expect(quorumLost(sim.events, members.map((m) => m.hostname))).toMatchObject({ op: "fault-dead", node: "cp-3" });
    const run = await runCli(sim, req());
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.stderr).toContain("destroy: etcd has no quorum: cp-2, cp-3 of its 3 members are down");
    expect(stages()).toEqual({ "cp-1": "maintenance", "cp-2": "off", "cp-3": "off", "w-1": "maintenance" });
    expect(trace(sim.events, ["reset-requested"])).toEqual(["w-1 reset-requested", "cp-1 reset-requested"]);
    expect(sim.events.filter((e) => e.op === "reset-requested").map((e) => e.detail?.graceful)).toEqual([false, false]);
    // A member cannot be removed without quorum: none was tried.
    expect(sim.events.filter((e) => e.op === "talosctl etcd remove-member" || e.op === "talosctl etcd leave")).toEqual([]);
    expect(first("snapshot", "cp-1")!.seq).toBeLessThan(first("reset-requested")!.seq);
    expect(run.result!.snapshot!.before).toBe("destroy");
}, 60_000);

test("no quorum and no snapshot: refused before anything is touched, saying what to do; done by hand, a second destroy finishes", async () => {
    const { req } = await cluster(["cp-2", "cp-3"]);
    sim.faults.snapshotFails("rpc error: code = Unknown desc = etcdserver: request timed out");
    const run = await runCli(sim, req());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rollout failed: the etcd snapshot before destroy failed, so destroy did not start");
    expect(run.stderr).toContain("etcd has no quorum: cp-2, cp-3 of its 3 members are down");
    expect(run.stderr).toContain("Bring cp-2 or cp-3 back so that etcd regains its quorum");
    expect(run.stderr).toContain("talosctl -n 10.0.0.11 cp /var/lib/etcd/member/snap/db");
    const wipe = "talosctl -n 10.0.0.11 reset --graceful=false --reboot --system-labels-to-wipe STATE,EPHEMERAL";
    expect(run.stderr).toContain(wipe);
    expect(sim.events.filter((e) => ["reset-requested", "member-removed", "talosctl etcd remove-member"].includes(e.op))).toEqual([]);

    // The advice works: cp-1 wiped by hand (its database copied first), destroy again resets the rest.
    expect((await sim.talosctl([...wipe.split(" ").slice(1), "--wait=false"])).code).toBe(0);
    await sim.waitForEvent((e) => e.op === "node-up" && e.node === "cp-1" && e.detail?.maintenance === true, 3000);
    const again = await runCli(sim, req());
    expect(again.stderr).not.toContain("rollout failed");
    expect(again.stderr).toContain("destroy: no control plane answers (cp-1: already reset, cp-2: down, cp-3: down)");
    expect(stages()).toEqual({ "cp-1": "maintenance", "cp-2": "off", "cp-3": "off", "w-1": "maintenance" });
    expect(trace(sim.events, ["reset-requested"])).toEqual(["cp-1 reset-requested", "w-1 reset-requested"]);
}, 60_000);

test("every control plane dead: the workers are reset; no snapshot is possible and none is needed (no control plane is wiped)", async () => {
    const { req } = await cluster(["cp-1", "cp-2", "cp-3"]);
    const run = await runCli(sim, req());
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.stderr).toContain("destroy: no control plane answers (cp-1: down, cp-2: down, cp-3: down): no etcd snapshot can be taken");
    expect(stages()).toEqual({ "cp-1": "off", "cp-2": "off", "cp-3": "off", "w-1": "maintenance" });
    expect(trace(sim.events, ["reset-requested"])).toEqual(["w-1 reset-requested"]);
    expect(run.result!.snapshot).toBeUndefined();
}, 60_000);
