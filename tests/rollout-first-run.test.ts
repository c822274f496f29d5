import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import type { ClusterTarget } from "../model";
import type { RolloutRequest } from "../lifecycle/request";
import { TALOS_API_PORT } from "../lifecycle/api-probe";
import { talosconfigText } from "../planners/certificates";
import { summarizeConfig } from "../planners/machine-config";
import { ROOT, TIMINGS } from "./support/rollout";
import { makePki, type TestPki } from "./support/tls";

/**
 * The first run of a rollout without talosctl installed (day 1 needs no CLI), against Talos API
 * stand-ins: TLS servers on the nodes' addresses (loopback addresses 127.0.0.x, port 50000), as a
 * configured node (certificate from the cluster's CA) or a node in maintenance mode (another
 * certificate) answers. The rollout process runs with a PATH that has no talosctl.
 */

const NODES = ["127.0.0.71", "127.0.0.72", "127.0.0.73"];
let cluster: TestPki;
let foreign: TestPki;
const servers: tls.Server[] = [];

beforeAll(() => {
    cluster = makePki("cluster");
    foreign = makePki("maintenance");
});
afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A Talos API stand-in on `ip`:50000 presenting a certificate of `pki`. */
function apiAt(ip: string, pki: TestPki): Promise<void> {
    const server = tls.createServer({ cert: pki.serverCert, key: pki.serverKey, ALPNProtocols: ["h2"] }, (s) => s.end());
    servers.push(server);
    return new Promise((resolve, reject) => server.once("error", reject).listen(TALOS_API_PORT, ip, () => resolve()));
}

function request(operation: RolloutRequest["operation"]): RolloutRequest {
    const target: ClusterTarget = {
        cluster: "first-run",
        talos: { version: "v1.11.6", schematic: "a".repeat(64), image: "factory.talos.dev/installer/x:v1.11.6" },
        kubernetes: "1.34.1",
        nodes: NODES.map((ip, i) => ({ hostname: `cp-${i + 1}`, ip, role: "controlplane" as const, macs: [], config: summarizeConfig("version: v1alpha1\n") })),
    };
    return {
        operation,
        desired: target,
        configs: {},
        talosconfig: talosconfigText({ cluster: "first-run", endpoints: NODES, nodes: NODES, caCertificate: cluster.caCert, certificate: cluster.clientCert, key: cluster.clientKey }),
        policy: { maxParallelWorkers: 1, resetOnDestroy: false, snapshotDir: fs.mkdtempSync(path.join(os.tmpdir(), "snapshots-")), timings: TIMINGS },
    };
}

/** lifecycle/cli.ts with only node's own folder on PATH: no talosctl. */
function run(req: RolloutRequest): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "lifecycle", "cli.ts")], {
            cwd: ROOT,
            env: { PATH: path.dirname(process.execPath), HOME: os.tmpdir() },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(JSON.stringify(req));
    });
}

test("every node in maintenance mode: the first bring-up goes on without talosctl, its target verified", async () => {
    for (const ip of NODES) await apiAt(ip, foreign);
    const out = await run(request("create"));
    expect(out.stderr).toContain("first run: every node is in maintenance mode");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).not.toHaveProperty("verified");
}, 30_000);

test("a node that already runs this cluster is not taken for a first bring-up: adopting it needs talosctl", async () => {
    await apiAt(NODES[0], foreign);
    await apiAt(NODES[1], cluster);
    await apiAt(NODES[2], foreign);
    const out = await run(request("create"));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("cp-2 already runs this cluster: adopting the nodes needs talosctl");
    expect(out.stderr).toMatch(/rollout failed: .*talosctl.*This change needs talosctl 1\.11\.x: install it from https:\/\/github\.com\/siderolabs\/talos\/releases/);
}, 30_000);

test("nodes that do not answer: recorded as unverified; any later run needs talosctl", async () => {
    const first = await run(request("create"));
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ verified: false });
    const later = await run(request("update"));
    expect(later.code).toBe(1);
    expect(later.stderr).toMatch(/rollout failed: .*This change needs talosctl 1\.11\.x/);
}, 30_000);
