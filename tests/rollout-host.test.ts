import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { startSimCluster, type SimCluster } from "./support/sim";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { currentTarget, ROOT, withTalos } from "./support/rollout";

/**
 * The Rollout resource through Pulumi's dynamic-provider host, for real: its provider serialized by
 * the SDK in a plain Node process (as the language host does at `pulumi up`), then loaded by text in
 * another process the way the host loads it, and called with what the engine passes: `check` and
 * `diff` during preview, `update` during up, against the simulated cluster.
 */

const HOST_DIR = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");
const SCHEMATIC = "a".repeat(64);

let provider: string;
let sim: SimCluster;
let snapshotDir: string;

beforeAll(async () => {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "support", "serialize-rollout.ts")], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    provider = (JSON.parse(out) as { provider: string }).provider;
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

type Answer = { ok: boolean; result?: any; error?: string };

/**
 * Loads the serialized provider like the host (require-from-string, modules resolved from the
 * host's folder) and calls a method; `then` calls a second method in the same process with the
 * first one's answer, as the engine does when it replaces a resource (create the new, delete the old).
 */
function call(method: string, args: unknown[], opts: { env?: NodeJS.ProcessEnv; then?: { method: string; args: (first: any) => unknown[] } } = {}): Promise<Answer> {
    const script = `
        const requireFromString = require("require-from-string");
        const provider = requireFromString(process.env.PROVIDER, ${JSON.stringify(path.join(HOST_DIR, "index.js"))}).handler();
        const answer = (r) => ({ ok: true, result: r });
        const failed = (e) => ({ ok: false, error: String(e && e.message || e) });
        const then = ${opts.then ? `(first) => provider[${JSON.stringify(opts.then.method)}](...(${opts.then.args.toString()})(first))` : "undefined"};
        provider[process.env.METHOD](...JSON.parse(process.env.ARGS))
            .then((r) => (then ? then(r).then(() => answer(r)) : answer(r)), failed)
            .then((a) => process.stdout.write(JSON.stringify(a)), (e) => process.stdout.write(JSON.stringify(failed(e))));`;
    return new Promise((resolve, reject) => {
        execFile(
            process.execPath,
            ["-e", script],
            { cwd: HOST_DIR, env: { ...sim.env(), ...opts.env, PROVIDER: provider, METHOD: method, ARGS: JSON.stringify(args) }, encoding: "utf8", timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => (err ? reject(new Error(`provider host failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as Answer)),
        );
    });
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

test("a replaced rollout (created, then the old one deleted, in one provider process) resets no node; a delete on its own does (resetOnDestroy)", async () => {
    const now = currentTarget(sim, "1.34.1");
    const resetting = { ...inputs(now), policy: { ...inputs(now).policy, resetOnDestroy: true } };
    const replaced = await call("create", [resetting], { then: { method: "delete", args: (created: any) => ["sim", created.outs] } });
    expect(replaced.error).toBeUndefined();
    expect(sim.events.filter((e) => e.op.startsWith("reset"))).toEqual([]);
    expect(sim.nodes().every((n) => n.configured)).toBe(true);

    const deleted = await call("delete", ["sim", { ...replaced.result.outs }]);
    expect(deleted.error).toBeUndefined();
    expect(sim.nodes().some((n) => n.configured)).toBe(false);
}, 120_000);
