import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { create, diff, type RecoveryInputs } from "../lifecycle/recover-provider";
import { recoveryMarker } from "../lifecycle/recover";
import { startSimCluster, type SimCluster, type SimEvent } from "./support/sim";
import { currentTarget, request, runCli, ROOT } from "./support/rollout";

/**
 * The restore drill against the simulated cluster: an etcd snapshot, a whole-cluster destroy that
 * resets every node, the nodes installed again with the same configuration (what the configuration
 * applies do on `pulumi up`), and etcd bootstrapped from the snapshot instead of empty. Then what a
 * second `pulumi up` meets: a restore killed after the bootstrap (converges, recovered once), and
 * clusters that were not restored from this snapshot (refused).
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };
const POLICY = { maxParallelWorkers: 1, resetOnDestroy: true, snapshotDir: "unused", timeouts: { health: "4s", drain: "2s", node: "4s", kubernetes: "8s", command: "8s", poll: "40ms", stability: "80ms" } };
/** Where a restore records that it is about to bootstrap (README, Restore drill). */
// The target's cluster name (not the sim's): its own .platform/ folder, which no other test file
// writes or removes while these run.
const CLUSTER = "restore-drill";
const PLATFORM = path.join(ROOT, ".platform", CLUSTER);
const MARKER = path.join(PLATFORM, "etcd-recovery.json");
test("the marker lives next to the rollout log", () => expect(recoveryMarker(ROOT, CLUSTER)).toBe(MARKER));

let sim: SimCluster;
let savedPath: string | undefined;
beforeEach(async () => {
    sim = await startSimCluster({
        talosctlVersion: "v1.11.6",
        kubernetesVersion: "1.34.1",
        nodes: [1, 2, 3].map((i) => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane" as const, talos: "v1.11.6", schematic: SCHEMATIC })),
        timing: FAST,
    });
    savedPath = process.env.PATH;
    process.env.PATH = sim.env().PATH;
    fs.rmSync(PLATFORM, { recursive: true, force: true });
});
afterEach(async () => {
    process.env.PATH = savedPath;
    await sim?.close();
    fs.rmSync(PLATFORM, { recursive: true, force: true });
});

/** Destroy (snapshot, reset), then the configuration applies of `pulumi up` install every node again. */
async function destroyAndInstall() {
    const cluster = currentTarget(sim, "1.34.1", CLUSTER);
    const destroyed = await runCli(sim, request(sim, "delete", undefined, cluster, { resetOnDestroy: true }));
    expect(destroyed.stderr).not.toContain("rollout failed");
    const snapshot = destroyed.result!.snapshot!;
    expect(sim.nodes().map((n) => n.stage)).toEqual(["maintenance", "maintenance", "maintenance"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "restore-"));
    for (const n of cluster.target.nodes) {
        const file = path.join(dir, `${n.hostname}.yaml`);
        fs.writeFileSync(file, cluster.configs[n.hostname]);
        expect((await sim.talosctl(["-n", n.ip, "apply-config", "--insecure", "--file", file])).code).toBe(0);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const inputs: RecoveryInputs = { projectDir: ROOT, target: cluster.target, snapshot: snapshot.path, talosconfig: fs.readFileSync(sim.talosconfigPath, "utf8"), policy: POLICY };
    return { snapshot, inputs };
}

/** The EtcdRecovery resource's create in its own process (as in the engine's provider host), SIGKILLed at `killWhen`. */
function createInProcess(inputs: RecoveryInputs, killWhen: (e: SimEvent) => boolean): Promise<{ killed: boolean; code: number | null; stderr: string }> {
    return new Promise((resolve) => {
        const script = `const { create } = require("./lifecycle/recover-provider");
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => create(JSON.parse(s)).then((r) => process.stdout.write(JSON.stringify(r.outs)), (e) => { process.stderr.write(e.message); process.exitCode = 1; }));`;
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: ROOT, env: sim.env(), stdio: ["pipe", "pipe", "pipe"] });
        let stderr = "";
        let killed = false;
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdout.resume();
        const stop = sim.onEvent(killWhen, () => {
            killed = true;
            child.kill("SIGKILL");
        });
        child.on("close", (code) => {
            stop();
            resolve({ killed, code, stderr });
        });
        child.stdin.end(JSON.stringify(inputs));
    });
}

const recoveries = () => sim.events.filter((e) => e.op === "etcd-recovered" || e.op === "etcd-bootstrapped");

test("snapshot → destroy (reset) → install → bootstrap from the snapshot", async () => {
    const { snapshot, inputs } = await destroyAndInstall();

    // The EtcdRecovery resource's create, in place of the provider's Bootstrap.
    const created = await create(inputs);
    expect(created.outs.recoveredFrom).toEqual({ path: snapshot.path, sha256: snapshot.sha256 });
    expect(created.outs).not.toHaveProperty("talosconfig");

    const recovered = sim.events.find((e) => e.op === "etcd-recovered")!;
    expect(recovered.node).toBe("cp-1");
    expect(sim.events.filter((e) => e.op === "etcd-bootstrapped")).toEqual([]);
    // It waited until every control plane was installed and its etcd waited for it.
    const installs = sim.events.filter((e) => e.op === "install-started");
    expect(installs.map((e) => e.node)).toEqual(["cp-1", "cp-2", "cp-3"]);
    expect(installs.every((e) => e.seq < recovered.seq)).toBe(true);

    // The marker it wrote before the bootstrap goes once state holds the recovery (the engine's diff).
    expect(fs.existsSync(MARKER)).toBe(true);
    await diff("sim-recovered", created.outs, inputs);
    expect(fs.existsSync(MARKER)).toBe(false);
}, 60_000);

test("killed right after the bootstrap from the snapshot, the next up converges: etcd is recovered once, and reported restored", async () => {
    const { snapshot, inputs } = await destroyAndInstall();
    const first = await createInProcess(inputs, (e) => e.op === "etcd-recovered");
    expect(first.killed).toBe(true);
    // The marker was written before the bootstrap: this snapshot, that node, its boot.
    expect(JSON.parse(fs.readFileSync(MARKER, "utf8"))).toMatchObject({ cluster: CLUSTER, sha256: snapshot.sha256, node: "cp-1", ip: "10.0.0.11", bootId: sim.node("cp-1").bootId });

    const logged = fs.readFileSync(path.join(PLATFORM, "rollout.log"), "utf8").length;
    const again = await create(inputs);
    expect(again.outs.recoveredFrom).toEqual({ path: snapshot.path, sha256: snapshot.sha256 });
    expect(recoveries().map((e) => `${e.node} ${e.op}`)).toEqual(["cp-1 etcd-recovered"]);
    expect(sim.events.filter((e) => e.op === "talosctl bootstrap")).toHaveLength(1);
    const log = fs.readFileSync(path.join(PLATFORM, "rollout.log"), "utf8").slice(logged);
    expect(log).toContain("restore: etcd on cp-1 already runs, bootstrapped from this snapshot by an interrupted run");
    expect(log).toContain("restore: etcd on cp-1 runs from the snapshot");
}, 60_000);

test("refuses to restore into a cluster whose etcd already runs, saying what to do", async () => {
    const cluster = currentTarget(sim, "1.34.1", CLUSTER);
    const snapshot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "restore-")), "db.snapshot");
    fs.writeFileSync(snapshot, "x");
    const err = await create({ projectDir: ROOT, target: cluster.target, snapshot, talosconfig: fs.readFileSync(sim.talosconfigPath, "utf8"), policy: POLICY }).catch((e: Error) => e);
    const message = (err as Error).message;
    expect(message).toContain("etcd already runs on cp-1 (10.0.0.11): this cluster is bootstrapped, and no restore of");
    expect(message).toContain("was started into it from this project folder, so it is not restored into");
    expect(message).toContain("remove platform:talos.restoreFrom and set platform:talos.adoptBootstrap: true for one pulumi up");
    expect(recoveries()).toEqual([]);
    expect(fs.existsSync(MARKER)).toBe(false);
}, 60_000);

test("a marker of an interrupted restore matches only that snapshot, that node and that boot: otherwise refused", async () => {
    const { inputs } = await destroyAndInstall();
    expect((await createInProcess(inputs, (e) => e.op === "etcd-recovered")).killed).toBe(true);

    // Another snapshot.
    const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "restore-")), "other.db");
    fs.writeFileSync(other, "another snapshot");
    const otherErr = await create({ ...inputs, snapshot: other }).catch((e: Error) => e);
    expect((otherErr as Error).message).toContain(`the restore started from this project folder was from ${inputs.snapshot}`);

    // The same snapshot, but cp-1 rebooted since: its etcd may run from anything by now.
    const bootBefore = sim.node("cp-1").bootId;
    expect((await sim.talosctl(["-n", "10.0.0.11", "reboot", "--wait=false"])).code).toBe(0);
    await sim.waitForEvent((e) => e.op === "node-up" && e.node === "cp-1" && e.detail?.bootId !== bootBefore, 3000);
    const rebootErr = await create(inputs).catch((e: Error) => e);
    expect((rebootErr as Error).message).toContain("cp-1 has booted again since, so this is no proof that its etcd runs from the snapshot");
    expect((rebootErr as Error).message).toContain("remove platform:talos.restoreFrom and set platform:talos.adoptBootstrap: true for one pulumi up");
    expect(recoveries().map((e) => `${e.node} ${e.op}`)).toEqual(["cp-1 etcd-recovered"]);
}, 60_000);
