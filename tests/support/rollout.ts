import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { ClusterTarget } from "../../model";
import type { RolloutRequest, RolloutResult, RolloutTimings } from "../../lifecycle/request";
import { summarizeConfig } from "../../planners/machine-config";
import { factoryInstaller, type SimCluster, type SimEvent } from "./sim";

/** Helpers to run the real rollout against the simulated cluster. */

export const ROOT = path.join(__dirname, "..", "..");

/** Compressed time for the executor, in step with the sim's FAST timings. */
export const TIMINGS: RolloutTimings = { healthMs: 4000, drainMs: 1200, nodeMs: 4000, kubernetesMs: 8000, commandMs: 8000, pollMs: 40, stabilityMs: 80 };

/** The cluster's current state as the program would describe it (configs as the nodes run them). */
export function currentTarget(sim: SimCluster, kubernetes: string, cluster = "sim"): { target: ClusterTarget; configs: Record<string, string> } {
    const nodes = sim.nodes().filter((n) => n.configured);
    const first = nodes[0];
    const configs = Object.fromEntries(nodes.map((n) => [n.hostname, n.activeConfig ?? ""]));
    return {
        target: {
            cluster,
            talos: { version: first.version, schematic: first.schematic, image: factoryInstaller(first.schematic, first.version) },
            kubernetes,
            nodes: nodes.map((n) => ({ hostname: n.hostname, ip: n.ip, role: n.role, macs: [], config: summarizeConfig(configs[n.hostname]) })),
        },
        configs,
    };
}

/** Edits a machine config's v1alpha1 document (and re-summarises a target node's config). */
export function editConfig(text: string, edit: (doc: Record<string, any>) => void): string {
    const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
    const main = docs.find((d) => d && d.version === "v1alpha1");
    if (!main) throw new Error("no v1alpha1 document");
    edit(main);
    return docs.map((d) => YAML.stringify(d, { indent: 4 })).join("---\n");
}

/** A desired target with Talos moved to `version` (and schematic), configs updated to install it. */
export function withTalos(base: { target: ClusterTarget; configs: Record<string, string> }, version: string, schematic = base.target.talos.schematic) {
    const image = factoryInstaller(schematic, version);
    const configs = Object.fromEntries(Object.entries(base.configs).map(([h, c]) => [h, editConfig(c, (d) => (d.machine.install.image = image))]));
    return withConfigs({ target: { ...base.target, talos: { version, schematic, image } }, configs }, configs);
}

/** Replaces the configs (and their summaries in the target). */
export function withConfigs(base: { target: ClusterTarget; configs: Record<string, string> }, configs: Record<string, string>) {
    return { configs, target: { ...base.target, nodes: base.target.nodes.map((n) => ({ ...n, config: summarizeConfig(configs[n.hostname] ?? "") })) } };
}

export function request(sim: SimCluster, op: RolloutRequest["operation"], previous: ClusterTarget | undefined, desired: { target: ClusterTarget; configs: Record<string, string> }, extra: Partial<RolloutRequest["policy"]> = {}): RolloutRequest {
    return {
        operation: op,
        ...(previous ? { previous } : {}),
        desired: desired.target,
        configs: desired.configs,
        talosconfig: fs.readFileSync(sim.talosconfigPath, "utf8"),
        policy: { maxParallelWorkers: 1, resetOnDestroy: false, snapshotDir: fs.mkdtempSync(path.join(os.tmpdir(), "snapshots-")), timings: TIMINGS, ...extra },
    };
}

export interface CliRun {
    code: number | null;
    killed: boolean;
    stderr: string;
    result?: RolloutResult;
}

/**
 * Runs the rollout process (lifecycle/cli.ts, as the Rollout resource's provider does) with the
 * fake talosctl first on PATH; `killWhen` SIGKILLs it when the sim logs a matching event.
 */
export function runCli(sim: SimCluster, req: RolloutRequest, killWhen?: (e: SimEvent) => boolean): Promise<CliRun> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "lifecycle", "cli.ts")], { cwd: ROOT, env: sim.env(), stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let killed = false;
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const stop = killWhen
            ? sim.onEvent(killWhen, () => {
                  killed = true;
                  child.kill("SIGKILL");
              })
            : () => undefined;
        child.on("close", (code) => {
            stop();
            resolve({ code, killed, stderr, ...(code === 0 && stdout.trim() ? { result: JSON.parse(stdout) as RolloutResult } : {}) });
        });
        child.stdin.end(JSON.stringify(req));
    });
}

/** The ops of the event log as `node op` strings (filtering by op names), for order assertions. */
export function trace(events: readonly SimEvent[], ops: string[]): string[] {
    return events.filter((e) => ops.includes(e.op)).map((e) => `${e.node ?? "-"} ${e.op}`);
}
