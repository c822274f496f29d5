import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { create } from "../lifecycle/recover-provider";
import { startSimCluster, type SimCluster } from "./support/sim";
import { currentTarget, request, runCli, ROOT } from "./support/rollout";

/**
 * The restore drill against the simulated cluster: an etcd snapshot, a whole-cluster destroy that
 * resets every node, the nodes installed again with the same configuration (what the configuration
 * applies do on `pulumi up`), and etcd bootstrapped from the snapshot instead of empty.
 */

const SCHEMATIC = "a".repeat(64);
const FAST = { rebootMs: 80, upgradeMs: 100, installMs: 80, learnerPromoteMs: 40, evictionMs: 10, goDownMs: 10, resetMs: 40, shutdownMs: 30, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 10, drainRetryMs: 10 };
const POLICY = { maxParallelWorkers: 1, resetOnDestroy: true, snapshotDir: "unused", timeouts: { health: "4s", drain: "2s", node: "4s", kubernetes: "8s", command: "8s", poll: "40ms", stability: "80ms" } };

let sim: SimCluster;
let savedPath: string | undefined;
beforeAll(async () => {
    sim = await startSimCluster({
        talosctlVersion: "v1.11.6",
        kubernetesVersion: "1.34.1",
        nodes: [1, 2, 3].map((i) => ({ hostname: `cp-${i}`, ip: `10.0.0.1${i}`, role: "controlplane" as const, talos: "v1.11.6", schematic: SCHEMATIC })),
        timing: FAST,
    });
    savedPath = process.env.PATH;
    process.env.PATH = sim.env().PATH;
});
afterAll(async () => {
    process.env.PATH = savedPath;
    await sim?.close();
});

test("snapshot → destroy (reset) → install → bootstrap from the snapshot", async () => {
    const cluster = currentTarget(sim, "1.34.1");
    const talosconfig = fs.readFileSync(sim.talosconfigPath, "utf8");

    // Destroy: the snapshot it takes first is the one the drill restores.
    const destroyed = await runCli(sim, request(sim, "delete", undefined, cluster, { resetOnDestroy: true }));
    expect(destroyed.stderr).not.toContain("rollout failed");
    const snapshot = destroyed.result!.snapshot!;
    expect(sim.nodes().map((n) => n.stage)).toEqual(["maintenance", "maintenance", "maintenance"]);

    // `pulumi up`: the configuration applies install every node again (maintenance mode, insecure).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "restore-"));
    for (const n of cluster.target.nodes) {
        const file = path.join(dir, `${n.hostname}.yaml`);
        fs.writeFileSync(file, cluster.configs[n.hostname]);
        expect((await sim.talosctl(["-n", n.ip, "apply-config", "--insecure", "--file", file])).code).toBe(0);
    }

    // The EtcdRecovery resource's create, in place of the provider's Bootstrap.
    const created = await create({ projectDir: ROOT, target: cluster.target, snapshot: snapshot.path, talosconfig, policy: POLICY });
    expect(created.outs.recoveredFrom).toEqual({ path: snapshot.path, sha256: snapshot.sha256 });
    expect(created.outs).not.toHaveProperty("talosconfig");

    const recovered = sim.events.find((e) => e.op === "etcd-recovered")!;
    expect(recovered.node).toBe("cp-1");
    expect(sim.events.filter((e) => e.op === "etcd-bootstrapped")).toEqual([]);
    // It waited until every control plane was installed and its etcd waited for it.
    const installs = sim.events.filter((e) => e.op === "install-started");
    expect(installs.map((e) => e.node)).toEqual(["cp-1", "cp-2", "cp-3"]);
    expect(installs.every((e) => e.seq < recovered.seq)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(ROOT, ".platform", "sim"), { recursive: true, force: true });
}, 60_000);

test("refuses to restore into a cluster whose etcd already runs", async () => {
    const cluster = currentTarget(sim, "1.34.1");
    const snapshot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "restore-")), "db.snapshot");
    fs.writeFileSync(snapshot, "x");
    const err = await create({ projectDir: ROOT, target: cluster.target, snapshot, talosconfig: fs.readFileSync(sim.talosconfigPath, "utf8"), policy: POLICY }).catch((e: Error) => e);
    expect((err as Error).message).toContain("etcd already runs on cp-1: this cluster is bootstrapped, so it cannot be restored into");
    expect(sim.events.filter((e) => e.op === "etcd-recovered")).toHaveLength(1);
    fs.rmSync(path.join(ROOT, ".platform", "sim"), { recursive: true, force: true });
}, 60_000);
