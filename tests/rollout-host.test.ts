import * as fs from "fs";
import * as path from "path";
import { startSimCluster, type SimCluster } from "./support/sim";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { callProvider, serializedBy, type HostAnswer, type HostCallOptions } from "./support/provider-host";
import { currentTarget, ROOT, withTalos } from "./support/rollout";
import { generationFile } from "../lifecycle/provider";

/**
 * The Rollout resource through Pulumi's dynamic-provider host, for real: its provider serialized by
 * the SDK in a plain Node process (as the language host does at `pulumi up`), then loaded by text in
 * another process the way the host loads it, and called with what the engine passes: `check` and
 * `diff` during preview, `update` during up, against the simulated cluster.
 */

const SCHEMATIC = "a".repeat(64);

let provider: string;
let sim: SimCluster;
let snapshotDir: string;

beforeAll(async () => {
    provider = serializedBy<{ provider: string }>("serialize-rollout.ts").provider;
    snapshotDir = fs.mkdtempSync(path.join(ROOT, ".platform-test-"));
    sim = await startSimCluster({
        talosctlVersion: "v1.12.11",
        kubernetesVersion: "1.34.1",
        nodes: [1, 2, 3].map((i) => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane" as const, talos: "v1.11.6", schematic: SCHEMATIC })),
        timing: { rebootMs: 80, upgradeMs: 100, goDownMs: 10, evictionMs: 10 },
    });
}, 90_000);
afterAll(async () => {
    await sim?.close();
});

/**
 * Loads the serialized provider like the host and calls a method (support/provider-host.ts), with
 * the sim's talosctl first on PATH; `then` calls a second method in the same process.
 */
function call(method: string, args: unknown[], opts: { env?: NodeJS.ProcessEnv; then?: HostCallOptions["then"] } = {}): Promise<HostAnswer> {
    return callProvider(provider, method, args, { ...opts, env: { ...sim.env(), ...opts.env } });
}

function inputs(desired: ReturnType<typeof currentTarget>) {
    return {
        protocol: 1,
        projectDir: ROOT,
        desired: desired.target,
        configs: desired.configs,
        talosconfig: fs.readFileSync(sim.talosconfigPath, "utf8"),
        policy: { maxParallelWorkers: 1, resetOnDestroy: false, snapshotDir, timeouts: { health: "4s", drain: "2s", node: "4s", kubernetes: "8s", command: "8s", poll: "40ms", stability: "80ms" } },
    };
}

afterAll(() => {
    for (const d of fs.readdirSync(ROOT).filter((d) => d.startsWith(".platform-test-"))) fs.rmSync(path.join(ROOT, d), { recursive: true, force: true });
    fs.rmSync(path.join(ROOT, ".platform", "sim"), { recursive: true, force: true });
});

test("preview: check shows the plan as lines; a skipped minor fails check with the refusal", async () => {
    const before = currentTarget(sim, "1.34.1");
    const olds = inputs(before);
    const checked = await call("check", [olds, inputs(withTalos(before, "v1.12.11"))]);
    expect(checked.ok).toBe(true);
    expect(checked.result.inputs.plan[0]).toBe("cp-1: upgrade v1.11.6 → v1.12.11 (etcd snapshot first): Talos v1.11.6 → v1.12.11; machine.install changed");
    const refused = await call("check", [olds, inputs(withTalos(before, "v1.13.9"))]);
    expect(refused.result.failures[0].reason).toContain("v1.11.6 → v1.13.9 skips a Talos minor");
}, 60_000);

test("preview with values not known yet (the engine's unknown marker): the first run says what will happen; a skipped minor is still refused; otherwise the plan waits for the update", async () => {
    const before = currentTarget(sim, "1.34.1");
    const mark = sim.events.length;
    const firstRun = await call("check", [{}, { ...inputs(before), desired: unknownValue }]);
    expect(firstRun.result.inputs.plan).toEqual([expect.stringMatching(/^first run: nodes in maintenance mode are installed/)]);
    // A replaced schematic: its id, the installer image and every configuration are unknown.
    const replaced = (version: string) => {
        const next = inputs(withTalos(before, version));
        return { ...next, desired: { ...next.desired, talos: { version, schematic: unknownValue, image: unknownValue }, nodes: next.desired.nodes.map((n) => ({ ...n, config: unknownValue })) } };
    };
    const refused = await call("check", [inputs(before), replaced("v1.13.9")]);
    expect(refused.result.failures[0].reason).toContain("v1.11.6 → v1.13.9 skips a Talos minor");
    const waits = await call("check", [inputs(before), replaced("v1.12.11")]);
    expect(waits.result.failures).toBeUndefined();
    expect(waits.result.inputs.plan).toEqual([expect.stringMatching(/known only during the update .* written to the rollout log before any node is touched/)]);
    expect(sim.events.slice(mark).filter((e) => e.source === "talosctl")).toEqual([]);
}, 60_000);

test("a target recorded without looking at the nodes (verified: false) is no baseline: the update checks the versions the nodes run", async () => {
    const before = currentTarget(sim, "1.34.1");
    // State claims v1.12.11, but the nodes run v1.11.6: v1.13.9 would be one minor by state, two in fact.
    const claimed = withTalos(before, "v1.12.11").target;
    const olds = { ...inputs(before), achieved: claimed, verified: false };
    const updated = await call("update", ["sim", olds, inputs(withTalos(before, "v1.13.9"))]);
    expect(updated.ok).toBe(false);
    expect(updated.error).toContain("v1.11.6 → v1.13.9 skips a Talos minor");
    expect(sim.nodes().map((n) => n.version)).toEqual(["v1.11.6", "v1.11.6", "v1.11.6"]);
}, 60_000);

test("a first run without talosctl records its target as unverified", async () => {
    const before = currentTarget(sim, "1.34.1");
    const created = await call("create", [inputs(before)], { env: { PATH: path.dirname(process.execPath) } });
    expect(created.error).toBeUndefined();
    expect(created.result.outs.verified).toBe(false);
    expect(created.result.outs.achieved).toEqual(before.target);
}, 60_000);

test("diff: the checkout's location is no change, a renewed talosconfig only rewrites state; update rolls the upgrade and records it as achieved", async () => {
    const before = currentTarget(sim, "1.34.1");
    // State written from a checkout that has since moved; the program now runs from ROOT.
    const olds = { ...inputs(before), achieved: before.target, projectDir: "/old/checkout" };
    expect((await call("diff", ["sim", olds, inputs(before)])).result).toEqual({ changes: false });
    // A renewed talosconfig updates state (touching no node), so destroy later reads a valid one.
    const renewed = { ...inputs(before), talosconfig: "renewed" };
    expect((await call("diff", ["sim", olds, renewed])).result).toEqual({ changes: true });
    const mark = sim.events.length;
    const recorded = await call("update", ["sim", olds, renewed]);
    expect(recorded.result.outs.talosconfig).toBe("renewed");
    expect(sim.events.slice(mark).filter((e) => e.source === "talosctl")).toEqual([]);
    const news = inputs(withTalos(before, "v1.12.11"));
    expect((await call("diff", ["sim", olds, news])).result).toEqual({ changes: true });

    const updated = await call("update", ["sim", olds, news]);
    expect(updated.error).toBeUndefined();
    expect(updated.result.outs.achieved).toEqual(news.desired);
    expect(updated.result.outs).not.toHaveProperty("configs");
    expect(sim.nodes().map((n) => n.version)).toEqual(["v1.12.11", "v1.12.11", "v1.12.11"]);
    // The snapshot taken before the first control plane is recorded for the stack output.
    expect(updated.result.outs.lastSnapshot.path).toMatch(/\.platform-test-.*\/sim-.*-upgrade-of-cp-1\.db$/);
    // Progress went to the cluster's log file under .platform/ in the project.
    expect(fs.readFileSync(path.join(ROOT, ".platform", "sim", "rollout.log"), "utf8")).toContain("cp-3: back");
}, 90_000);

test("a rollout recorded before generations: its update gives it one; once replaced, its delete resets no node", async () => {
    const now = currentTarget(sim, "1.34.1");
    const resetting = { ...inputs(now), policy: { ...inputs(now).policy, resetOnDestroy: true } };
    const { generation: _none, ...legacy } = (await call("create", [resetting])).result.outs;
    // A checkout with no record (another machine, or state from before generations).
    fs.rmSync(generationFile(ROOT, "sim"));
    const updated = (await call("update", ["sim", legacy, resetting])).result.outs;
    expect(updated.generation).toMatch(/^[0-9a-f-]{36}$/);
    expect(fs.readFileSync(generationFile(ROOT, "sim"), "utf8").trim()).toBe(updated.generation);
    // `pulumi up --replace` of the legacy rollout: the replacement is created, the legacy one deleted.
    const replaced = await call("create", [resetting], { then: { method: "delete", args: ["sim", legacy] } });
    expect(replaced.error).toBeUndefined();
    expect(sim.events.filter((e) => e.op.startsWith("reset"))).toEqual([]);
    expect(sim.nodes().every((n) => n.configured)).toBe(true);
}, 120_000);

test("a replaced rollout: the old one's delete, in the same run or a later one, resets no node; the current one's delete does (resetOnDestroy)", async () => {
    const now = currentTarget(sim, "1.34.1");
    const resetting = { ...inputs(now), policy: { ...inputs(now).policy, resetOnDestroy: true } };
    const first = (await call("create", [resetting])).result.outs;
    // Same run: the replacement is created, then the old one deleted, in one provider process.
    const second = await call("create", [resetting], { then: { method: "delete", args: ["sim", first] } });
    expect(second.error).toBeUndefined();
    // A later run (the first was interrupted between the two): a new process, the same checkout.
    const third = (await call("create", [resetting])).result.outs;
    expect((await call("delete", ["sim", second.result.outs])).error).toBeUndefined();
    expect(sim.events.filter((e) => e.op.startsWith("reset"))).toEqual([]);
    expect(sim.nodes().every((n) => n.configured)).toBe(true);

    const deleted = await call("delete", ["sim", third]);
    expect(deleted.error).toBeUndefined();
    expect(sim.nodes().some((n) => n.configured)).toBe(false);
}, 120_000);
