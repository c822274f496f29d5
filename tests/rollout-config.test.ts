import { cordonedAtEnd, disruptionIntervals, overlaps, startSimCluster, type SimCluster, type SimNodeSpec } from "./support/sim";
import { currentTarget, editConfig, request, runCli, trace, withConfigs } from "./support/rollout";
import { multierror } from "./support/sim/gofmt";

/**
 * Configuration changes and the Kubernetes upgrade, rolled by the real rollout process against the
 * simulated cluster: a change Talos applies live goes to every node without a reboot; one that
 * needs a reboot is staged and the reboots roll one node at a time through the gate.
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };
const spec = (kubernetesTalos = "v1.11.6"): SimNodeSpec[] => [
    ...[1, 2, 3].map((i) => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane" as const, talos: kubernetesTalos, schematic: SCHEMATIC })),
    { hostname: "w-1", ip: "10.0.0.21", role: "worker", talos: kubernetesTalos, schematic: SCHEMATIC },
];

let sim: SimCluster;
afterEach(async () => {
    await sim?.close();
});

test("a change Talos applies live reaches every node without a reboot", async () => {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: spec(), timing: FAST });
    const before = currentTarget(sim, "1.34.1");
    const configs = Object.fromEntries(Object.entries(before.configs).map(([h, c]) => [h, editConfig(c, (d) => (d.machine.sysctls = { "fs.inotify.max_user_watches": "1048576" }))]));
    const run = await runCli(sim, request(sim, "update", before.target, withConfigs(before, configs)));
    expect(run.stderr).not.toContain("rollout failed");
    expect(sim.events.filter((e) => e.op === "reboot-requested" || e.op === "cordon")).toEqual([]);
    for (const n of sim.nodes()) expect(n.activeConfig).toContain("fs.inotify.max_user_watches");
}, 60_000);

test("a change that needs a reboot is staged and the reboots roll one node at a time, control planes first", async () => {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: spec(), timing: FAST });
    const before = currentTarget(sim, "1.34.1");
    const files = [{ op: "create", path: "/etc/cri/conf.d/20-customization.part", permissions: 420, content: "[plugins]\n" }];
    const configs = Object.fromEntries(Object.entries(before.configs).map(([h, c]) => [h, editConfig(c, (d) => (d.machine.files = files))]));
    const run = await runCli(sim, request(sim, "update", before.target, withConfigs(before, configs)));
    expect(run.stderr).not.toContain("rollout failed");
    expect(run.stderr).toContain("plan: cp-1: reboot: machine.files changed (needs a reboot)");
    expect(trace(sim.events, ["config-staged", "reboot-requested"])).toEqual(
        ["cp-1", "cp-2", "cp-3", "w-1"].flatMap((h) => [`${h} config-staged`, `${h} reboot-requested`]),
    );
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(cordonedAtEnd(sim)).toEqual([]);
    for (const n of sim.nodes()) expect(n.activeConfig).toContain("20-customization.part");
}, 60_000);

// How talosctl reports a failed apply: the node's error as one cause of a multierror (how the sim's
// talosctl answers, SOURCES.md §9), or a bare rpc error when the call itself fails. A refused
// no-reboot apply carries the diff inside the error (machineconfig.ts).
const REFUSED = "rpc error: code = InvalidArgument desc = this config change can't be applied in immediate mode";
test.each([
    ["a per-node error (multierror)", `error applying new configuration: ${multierror([`10.0.0.11: ${REFUSED}\ndiff:\n-    token: abcdef.0123456789abcdef`])}`, `error applying new configuration: 1 error occurred: 10.0.0.11: ${REFUSED}`],
    ["a bare rpc error", `error applying new configuration: ${REFUSED}, diff: -    token: abcdef.0123456789abcdef`, `error applying new configuration: ${REFUSED}`],
])("a failing apply-config is reported with talosctl's error (%s), never with the configuration diff it printed", async (_form, error, reported) => {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: spec(), timing: FAST });
    const before = currentTarget(sim, "1.34.1");
    // Where talosctl prints the details and diffs depends on its version (SOURCES.md §9).
    const diff = "Config diff:\n-    token: abcdef.0123456789abcdef\n+    token: fedcba.9876543210fedcba";
    sim.faults.failCommand((inv) => inv.command === "apply-config" && !inv.argv.includes("--dry-run"), { stdout: diff, stderr: `${diff}\n${error}`, code: 1 });
    const configs = Object.fromEntries(Object.entries(before.configs).map(([h, c]) => [h, editConfig(c, (d) => (d.machine.sysctls = { "fs.inotify.max_user_watches": "1048576" }))]));
    const run = await runCli(sim, request(sim, "update", before.target, withConfigs(before, configs)));
    expect(run.code).toBe(1);
    const failed = run.stderr.split("\n").find((l) => l.includes("rollout failed:"));
    expect(failed).toMatch(/talosctl -n 10\.0\.0\.11 .*apply-config .* failed \(exit 1\): /);
    expect(failed!.slice(failed!.indexOf("failed (exit 1): ") + "failed (exit 1): ".length)).toBe(reported);
    expect(run.stderr).not.toContain("abcdef");
    expect(run.stderr).not.toContain("fedcba");
}, 60_000);

test("killed after staging, the next run reboots the node it left behind and the rest, and nothing stays cordoned", async () => {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.34.1", nodes: spec(), timing: FAST });
    const before = currentTarget(sim, "1.34.1");
    const configs = Object.fromEntries(Object.entries(before.configs).map(([h, c]) => [h, editConfig(c, (d) => (d.machine.env = { HTTP_PROXY: "http://proxy:3128" }))]));
    const desired = withConfigs(before, configs);
    const first = await runCli(sim, request(sim, "update", before.target, desired), (e) => e.op === "config-staged" && e.node === "cp-2");
    expect(first.killed).toBe(true);
    const second = await runCli(sim, request(sim, "update", before.target, desired));
    expect(second.stderr).not.toContain("rollout failed");
    expect(trace(sim.events, ["reboot-requested"])).toEqual(["cp-1 reboot-requested", "cp-2 reboot-requested", "cp-3 reboot-requested", "w-1 reboot-requested"]);
    expect(overlaps(disruptionIntervals(sim.events))).toEqual([]);
    expect(cordonedAtEnd(sim)).toEqual([]);
    for (const n of sim.nodes()) expect(n.activeConfig).toContain("HTTP_PROXY");
}, 60_000);

test("the Kubernetes upgrade runs upgrade-k8s once, after the gate, and is verified on the API server and every kubelet", async () => {
    sim = await startSimCluster({ talosctlVersion: "v1.11.6", kubernetesVersion: "1.33.5", nodes: spec(), timing: FAST });
    const before = currentTarget(sim, "1.33.5");
    // What the program generates for 1.34.1: the same configs with the new image tags.
    const configs = Object.fromEntries(Object.entries(before.configs).map(([h, c]) => [h, c.replace(/v1\.33\.5/g, "v1.34.1")]));
    const desired = withConfigs({ ...before, target: { ...before.target, kubernetes: "1.34.1" } }, configs);
    const run = await runCli(sim, request(sim, "update", before.target, desired));
    expect(run.stderr).not.toContain("rollout failed");
    expect(sim.events.filter((e) => e.op === "talosctl upgrade-k8s")).toHaveLength(1);
    expect(sim.cluster().gitVersion).toBe("v1.34.1");
    expect(Object.values(sim.cluster().kubeletVersions)).toEqual(["v1.34.1", "v1.34.1", "v1.34.1", "v1.34.1"]);
    // upgrade-k8s wrote the new tags into the configs; the rollout's own apply afterwards changes nothing.
    expect(sim.events.filter((e) => e.op === "config-applied")).toEqual([]);
}, 60_000);
