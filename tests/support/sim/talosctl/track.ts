/** The `--wait` tracker of upgrade, reboot, shutdown and reset (SOURCES.md §4, §7, §8). */
import { CliError } from "../cli";
import { GrpcError, uuidFrom, type SimNode } from "../cluster";
import type { Run } from "./run";

/**
 * action.NewTracker: reads the boot id, runs the action, watches the node until it is back up
 * (MachineReadyEventFn) and the post-check passes. Progress lines on stderr; on failure the
 * last line is `error: …` and the error is not printed again (SuppressErrors).
 */
export async function track(
    run: Run,
    nodes: string[],
    action: (n: SimNode, addr: string) => void | Promise<void>,
    o: { sequence: string; done: "ready" | "stopped"; postCheck: "bootId" | "bootIdOrMaintenance" | "none" },
): Promise<void> {
    const timeoutMs = run.simMs("timeout");
    const deadline = Date.now() + timeoutMs;
    const results = await Promise.all(
        nodes.map(async (addr) => {
            const { node: n, error } = run.targetError(addr);
            if (error || !n) {
                run.line(addr, `error: ${error}`);
                return false;
            }
            const preBoot = n.bootId;
            run.line(addr, "waiting for actor ID");
            try {
                await action(n, addr);
            } catch (e) {
                if (e instanceof GrpcError) {
                    run.line(addr, `error: ${e.message}`);
                    return false;
                }
                if (e instanceof CliError) {
                    run.line(addr, `error: ${e.message}`);
                    return false;
                }
                throw e;
            }
            run.line(addr, `actor ID: ${uuidFrom(`actor:${n.hostname}:${run.c.events.length}`)}`);
            run.line(addr, `sequence: ${o.sequence} action: START`);
            run.line(addr, "task: stopAllServices action: START");
            const mark = run.c.events.length;
            const failure = () => run.c.events.slice(mark).find((e) => e.node === n.hostname && e.op === "reset-failed");
            const wentDown = await run.c.waitFor(() => !n.apiUp || failure() !== undefined, deadline - Date.now(), run.io.signal);
            const failed = failure();
            if (failed) {
                run.line(addr, `sequence error: sequence failed: error running phase 2 in reset sequence: task 1/1: failed, ${String(failed.detail?.["error"])}`);
                return false;
            }
            if (!wentDown) {
                run.line(addr, "error: context deadline exceeded");
                return false;
            }
            run.line(addr, "unavailable, retrying...");
            if (o.done === "stopped") return true;
            const back = await run.c.waitFor(
                () => run.c.reachable(n) && n.bootId !== preBoot && (n.stage === "running" || (o.postCheck === "bootIdOrMaintenance" && n.stage === "maintenance")),
                deadline - Date.now(),
                run.io.signal,
            );
            if (!back) {
                run.line(addr, "error: context deadline exceeded");
                return false;
            }
            if (n.stage === "running") {
                run.line(addr, "stage: BOOTING ready: false unmetCond: [name:\"nodeReady\" reason:\"node not ready\"]");
                run.line(addr, "stage: RUNNING ready: true unmetCond: []");
            }
            run.line(addr, "events check condition met");
            if (o.postCheck !== "none") run.line(addr, "post check passed");
            return true;
        }),
    );
    if (results.some((r) => !r)) throw new CliError("", { suppress: true });
}
