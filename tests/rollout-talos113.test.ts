import { cordonedAtEnd, disruptionIntervals, overlaps, startSimCluster, type SimCluster, type SimEvent, type SimNodeSpec } from "./support/sim";
import { currentTarget, request, runCli, trace, withTalos } from "./support/rollout";
import { Talosctl } from "../lifecycle/talosctl";
import { upgradeStarted } from "../lifecycle/talosctl-output";

/**
 * Talos upgrades driven by a talosctl v1.13 client (LifecycleService.Upgrade, SOURCES.md §4): the
 * fallback to the legacy API for nodes older than 1.13, and the new API for 1.13 nodes. The
 * rollout drains the node itself, so talosctl must neither drain it nor uncordon it; every
 * property is read from the sim's event log, never from the executor's own account.
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };
const HOSTS = ["cp-1", "cp-2", "cp-3", "w-1"];
const IP: Record<string, string> = { "cp-1": "10.0.0.11", "cp-2": "10.0.0.12", "cp-3": "10.0.0.13", "w-1": "10.0.0.21" };

function spec(talos: string): SimNodeSpec[] {
    return HOSTS.map((h) => ({ hostname: h, ip: IP[h]!, role: h.startsWith("cp") ? ("controlplane" as const) : ("worker" as const), talos, schematic: SCHEMATIC }));
}

const disruptive = (e: SimEvent) => ["cordon", "upgrade-requested", "reboot-requested", "forfeit-leadership"].includes(e.op) && e.source !== "sim";

let sim: SimCluster;
afterEach(async () => {
    await sim?.close();
});

async function start(talos: string, talosctl: string, timing: Partial<typeof FAST> = {}) {
    sim = await startSimCluster({
        talosctlVersion: talosctl,
        kubernetesVersion: "1.34.1",
        nodes: spec(talos),
        timing: { ...FAST, ...timing },
        pods: [
            { namespace: "apps", name: "web-1", node: "cp-1", owner: { kind: "ReplicaSet", name: "web" }, pdb: "web" },
            { namespace: "apps", name: "web-2", node: "w-1", owner: { kind: "ReplicaSet", name: "web" }, pdb: "web" },
            { namespace: "kube-system", name: "cilium-x", node: "cp-1", owner: { kind: "DaemonSet", name: "cilium" } },
        ],
        pdbs: [{ namespace: "apps", name: "web", maxUnavailable: 1 }],
    });
    return currentTarget(sim, "1.34.1");
}

/** Per node, the events from its upgrade request to its return (first node-up after it). */
function upgradeWindow(events: readonly SimEvent[], host: string): SimEvent[] {
    const from = events.findIndex((e) => e.op === "upgrade-requested" && e.node === host);
    const to = events.findIndex((e, i) => i > from && e.op === "node-up" && e.node === host);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    return events.slice(from, to + 1);
}

/** What both upgrade paths must show in the event log. */
function expectRolledOneByOne(version: string, api: "MachineService" | "LifecycleService") {
    expect(sim.nodes().map((n) => [n.hostname, n.version, n.schematic])).toEqual(HOSTS.map((h) => [h, version, SCHEMATIC]));
    const requests = sim.events.filter((e) => e.op === "upgrade-requested");
    expect(requests.map((e) => `${e.node} ${String(e.detail?.["api"])} ${String(e.detail?.["version"])}`)).toEqual(HOSTS.map((h) => `${h} ${api} ${version}`));
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(cordonedAtEnd(sim)).toEqual([]);

    for (const host of HOSTS) {
        const window = upgradeWindow(sim.events, host);
        // Cordoned by the rollout before the request, and still cordoned when the node is back.
        const cordon = sim.events.filter((e) => e.op === "cordon" && e.node === host);
        expect(cordon.map((e) => e.source)).toEqual(["kube"]);
        expect(cordon[0]!.seq).toBeLessThan(window[0]!.seq);
        expect(window.filter((e) => e.op === "uncordon")).toEqual([]);
        expect(sim.node(host).kube.unschedulable).toBe(false);
        // Back on the target, then checked by the rollout (version and schematic read from the node) before its uncordon.
        const up = window[window.length - 1]!;
        expect(up.detail).toMatchObject({ version, schematic: SCHEMATIC });
        const uncordon = sim.events.filter((e) => e.op === "uncordon" && e.node === host);
        expect(uncordon.map((e) => e.source)).toEqual(["kube"]);
        const checks = sim.events.filter((e) => e.seq > up.seq && e.seq < uncordon[0]!.seq && e.node === host).map((e) => e.op);
        expect(checks).toEqual(expect.arrayContaining(["talosctl version", "talosctl get"]));
    }
    // talosctl itself never drained or uncordoned anything: the rollout does both.
    expect(sim.events.filter((e) => e.source === "talosctl" && ["cordon", "uncordon", "evict", "evict-blocked"].includes(e.op))).toEqual([]);
}

test("1.12 → 1.13.0 with a talosctl v1.13.0 client (legacy fallback): one node at a time, each cordoned from its request until it is back", async () => {
    const before = await start("v1.12.1", "v1.13.0");
    const desired = withTalos(before, "v1.13.0");
    const run = await runCli(sim, request(sim, "update", before.target, desired));
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.code).toBe(0);
    expectRolledOneByOne("v1.13.0", "MachineService");
    expect(run.result!.achieved).toEqual(desired.target);
}, 60_000);

test("1.13.0 → 1.13.1 with a talosctl v1.13.1 client (LifecycleService): one node at a time, each cordoned from its request until it is back", async () => {
    const before = await start("v1.13.0", "v1.13.1");
    const desired = withTalos(before, "v1.13.1");
    const run = await runCli(sim, request(sim, "update", before.target, desired));
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.code).toBe(0);
    expectRolledOneByOne("v1.13.1", "LifecycleService");
    // The new API installs first, then the reboot is requested.
    for (const host of HOSTS) {
        const ops = upgradeWindow(sim.events, host)
            .filter((e) => e.node === host && ["upgrade-requested", "upgrade-installed", "reboot-requested", "node-down", "node-up"].includes(e.op))
            .map((e) => e.op);
        expect(ops).toEqual(["upgrade-requested", "upgrade-installed", "reboot-requested", "node-down", "node-up"]);
    }
    expect(run.result!.achieved).toEqual(desired.target);
}, 60_000);

test("an install the new API reports as failed stops the rollout naming the node; it is not rebooted, uncordoned, and nothing after it is touched", async () => {
    const before = await start("v1.13.0", "v1.13.1");
    sim.faults.upgradeFails("cp-1", 1);
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.13.1")));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rollout failed: talosctl -n 10\.0\.0\.11 upgrade .*failed \(exit 1\): [^]*10\.0\.0\.11: upgrade failed with exit code 1/);
    expect(trace(sim.events, ["upgrade-requested", "upgrade-installed", "reboot-requested", "node-down"])).toEqual(["cp-1 upgrade-requested"]);
    expect(sim.nodes().map((n) => n.version)).toEqual(HOSTS.map(() => "v1.13.0"));
    expect(new Set(sim.events.filter(disruptive).map((e) => e.node))).toEqual(new Set(["cp-1"]));
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("the upgrade call is bounded by the timeout it is given, not the command timeout: on v1.13 the install runs inside it", async () => {
    await start("v1.13.0", "v1.13.1", { upgradeInstallMs: 1500 });
    const image = withTalos(currentTarget(sim, "1.34.1"), "v1.13.1").target.talos.image;
    const talos = new Talosctl(sim.talosconfigPath, 500, sim.talosctlPath);
    await expect(talos.upgrade(IP["w-1"]!, image)).rejects.toThrow(/killed after 1s without finishing/);
    // Killed by the command timeout mid-install: nothing staged, no reboot.
    await sim.waitForEvent((e) => e.op === "upgrade-install-cancelled" && e.node === "w-1", 5000);
    expect(trace(sim.events, ["upgrade-installed", "reboot-requested"])).toEqual([]);
    await talos.upgrade(IP["w-1"]!, image, 10_000);
    expect(trace(sim.events, ["upgrade-installed", "reboot-requested"])).toEqual(["w-1 upgrade-installed", "w-1 reboot-requested"]);
    await sim.waitForEvent((e) => e.op === "node-up" && e.node === "w-1" && e.detail?.["version"] === "v1.13.1", 10_000);
    // Neither call drained or uncordoned anything.
    expect(sim.events.filter((e) => e.source === "talosctl" && ["cordon", "uncordon", "evict"].includes(e.op))).toEqual([]);
}, 60_000);

test("the node timeout counts from the upgrade request, the install inside it included: a node that never returns fails then, not an install later", async () => {
    const before = await start("v1.13.0", "v1.13.1", { upgradeInstallMs: 1500 });
    sim.faults.neverReturns("cp-1");
    const timings = { ...request(sim, "update", undefined, before).policy.timings, nodeMs: 2000 };
    const run = await runCli(sim, request(sim, "update", before.target, withTalos(before, "v1.13.1"), { timings }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rollout failed: cp-1 back from its upgrade \(node timeout 2s from the request\): not ready after [\d.]+s \(\d+ attempts\); last failure: the Talos API does not answer/);
    const requested = sim.events.find((e) => e.op === "upgrade-requested" && e.node === "cp-1")!;
    const installed = sim.events.find((e) => e.op === "upgrade-installed" && e.node === "cp-1")!;
    expect(installed.at - requested.at).toBeGreaterThanOrEqual(1500);
    // The last look at cp-1 starts within the 2 s (plus a process start); counted from the end of
    // the install it would come 1.5 s later.
    const looks = sim.events.filter((e) => e.node === "cp-1" && e.source === "talosctl" && e.seq > installed.seq);
    expect(looks.length).toBeGreaterThan(0);
    expect(looks[looks.length - 1]!.at - requested.at).toBeLessThan(2000 + 700);
    expect(sim.events.filter((e) => e.op === "upgrade-requested").map((e) => e.node)).toEqual(["cp-1"]);
    expect(cordonedAtEnd(sim)).toEqual([]);
}, 60_000);

test("what counts as a started upgrade: the legacy ack or the new API's `upgrade completed` for that node; a skew WARNING alone is no refusal", () => {
    const skew = "WARNING: 10.0.0.11: server version 1.13.0 is older than client version 1.13.1\n";
    const table = "NODE        ACK                        STARTED\n10.0.0.11   Upgrade request received   2026-11-30 15:13:47.123456789 +0000 UTC m=+0.123456789\n";
    // legacy (also the v1.13 client's fallback), with the skew warning
    expect(upgradeStarted("10.0.0.11", table, `New upgrade API is not available, falling back to legacy\n${skew}`)).toBe(true);
    // legacy refusal: WARNING, header only
    expect(upgradeStarted("10.0.0.11", "NODE   ACK   STARTED\n", `${skew}WARNING: 1 error occurred:\n\t* 10.0.0.11: rpc error: code = Unknown desc = error validating etcd for upgrade: etcd member count(2) is insufficient to maintain quorum if upgrade commences\n\n`)).toBe(false);
    // new API: installed, then the skew warning of the reboot step
    expect(upgradeStarted("10.0.0.11", "", `10.0.0.11: pulling image x\n10.0.0.11: upgrade completed\n${skew}`)).toBe(true);
    // another node's result, or nothing at all, is not this node's
    expect(upgradeStarted("10.0.0.1", "", "10.0.0.11: upgrade completed\n")).toBe(false);
    expect(upgradeStarted("10.0.0.11", "", skew)).toBe(false);
});
