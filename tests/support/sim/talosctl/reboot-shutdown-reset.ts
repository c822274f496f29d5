/** `talosctl reboot`, `shutdown` and `reset` (SOURCES.md §7, §8). */
import { CliError } from "../cli";
import { GrpcError, type SimNode } from "../cluster";
import { goQuote } from "../gofmt";
import { clientDrain, uncordon } from "./drain";
import type { Run } from "./run";
import { track } from "./track";

/**
 * v1.13 `reboot --drain`: cordon + drain, the tracked reboot (--drain forces --wait, SOURCES.md
 * §8), and the uncordon in a defer.
 */
async function drainRebootUncordon(run: Run, n: SimNode, addr: string, mode: string): Promise<boolean> {
    const cordoned = n.kube.exists;
    try {
        const err = await clientDrain(run, n, addr);
        if (err) {
            run.line(addr, `error: ${err}`);
            return false;
        }
        try {
            await track(run, [addr], (node) => run.c.reboot(node, mode, "talosctl"), { sequence: "reboot", done: "ready", postCheck: "bootId" });
            return true;
        } catch {
            return false;
        }
    } finally {
        if (cordoned) uncordon(run, n, addr);
    }
}

export async function rebootCmd(run: Run): Promise<void> {
    const debug = run.flag<boolean>("debug");
    const wait = run.flag<boolean>("wait") || debug;
    const modes = run.minor >= 12 ? ["default", "force", "powercycle"] : ["default", "powercycle"];
    const mode = run.rebootMode(run.flag<string>("mode"), modes, (v) => `invalid reboot mode: ${goQuote(v)}`);
    const target = run.client();
    run.versionSkewWarning(target.nodes.map((addr) => ({ addr, node: run.c.resolveAddress(addr) })));
    if (run.minor >= 13 && run.flag<boolean>("drain")) {
        const results = await Promise.all(
            target.nodes.map(async (addr) => {
                const { node, error } = run.targetError(addr);
                if (error || !node) {
                    run.line(addr, `error: ${error}`);
                    return false;
                }
                return drainRebootUncordon(run, node, addr, mode);
            }),
        );
        if (results.some((r) => !r)) throw new CliError("", { suppress: true });
        return;
    }
    if (!wait) {
        run.failOnErrors(await run.callEach(target.nodes, (n) => run.c.reboot(n, mode, "talosctl")), "error executing reboot: ");
        return;
    }
    await track(run, target.nodes, (n) => run.c.reboot(n, mode, "talosctl"), { sequence: "reboot", done: "ready", postCheck: "bootId" });
}

export async function shutdownCmd(run: Run): Promise<void> {
    const wait = run.flag<boolean>("wait") || run.flag<boolean>("debug");
    const force = run.flag<boolean>("force");
    const target = run.client();
    if (!wait) {
        run.failOnErrors(await run.callEach(target.nodes, (n) => run.c.shutdown(n, force)), "error executing shutdown: "); // prefix: guess
        return;
    }
    await track(run, target.nodes, (n) => run.c.shutdown(n, force), { sequence: "shutdown", done: "stopped", postCheck: "none" });
}

export async function resetCmd(run: Run): Promise<void> {
    const wait = run.flag<boolean>("wait") || run.flag<boolean>("debug");
    const graceful = run.flag<boolean>("graceful");
    const reboot = run.flag<boolean>("reboot");
    const labels = run.flag<string[]>("system-labels-to-wipe").map((l) => l.trim()).filter(Boolean);
    const known = ["STATE", "EPHEMERAL", "META"];
    const act = (n: SimNode) => {
        const bad = labels.find((l) => !known.includes(l));
        if (bad) throw new GrpcError("Unknown", `failed to get volume status with label ${goQuote(bad)}: resource VolumeStatuses.block.talos.dev(runtime/${bad}@undefined) doesn't exist`);
        run.c.reset(n, { graceful, reboot, labels, by: "talosctl" });
    };
    if (run.flag<boolean>("insecure")) {
        const outs = run.maintenanceCall(run.flag<string[]>("nodes"), (n) => {
            n.configured = false;
            run.c.reset(n, { graceful: false, reboot, labels, by: "talosctl" });
        });
        run.failOnErrors(outs, "error executing reset: ");
        return;
    }
    const target = run.client();
    run.versionSkewWarning(target.nodes.map((addr) => ({ addr, node: run.c.resolveAddress(addr) })));
    if (!wait) {
        run.failOnErrors(await run.callEach(target.nodes, act), "error executing reset: ");
        return;
    }
    await track(run, target.nodes, act, { sequence: "reset", done: reboot ? "ready" : "stopped", postCheck: reboot ? "bootIdOrMaintenance" : "none" });
}
