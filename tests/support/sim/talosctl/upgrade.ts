/** `talosctl upgrade`: the legacy MachineService call and v1.13's LifecycleService path (SOURCES.md §4). */
import { CliError } from "../cli";
import { GrpcError, type SimNode } from "../cluster";
import { compareSemver, parseSemver, tabwrite } from "../gofmt";
import { clientDrain, uncordon } from "./drain";
import type { Run } from "./run";
import { track } from "./track";

export async function upgrade(run: Run): Promise<void> {
    const debug = run.flag<boolean>("debug");
    // v1.13's RunE also forces --wait when --drain (default true) is set, so `--wait=false`
    // alone still waits (SOURCES.md §4).
    const wait = run.flag<boolean>("wait") || debug || (run.minor >= 13 && run.flag<boolean>("drain"));
    const insecure = run.flag<boolean>("insecure");
    const image = run.flag<string>("image");
    const modes = run.minor >= 13 ? ["default", "force", "powercycle"] : run.minor === 12 ? ["default", "powercycle", "force"] : ["default", "powercycle"];
    if (wait && insecure) throw new CliError("cannot use --wait and --insecure together");
    const mode = run.rebootMode(run.flag<string>("reboot-mode"), modes, (v) => `invalid reboot mode: ${v}`);
    const stage = run.flag<boolean>("stage");
    const force = run.flag<boolean>("force");
    if (insecure) {
        const outs = run.maintenanceCall(run.flag<string[]>("nodes"), () => {
            throw new GrpcError("Unimplemented", "upgrade is not supported in maintenance mode"); // guess
        });
        run.warnOrFail(outs);
        run.io.out(tabwrite("NODE\tACK\tSTARTED\n"));
        return;
    }
    const target = run.client();
    const legacyAction = (n: SimNode) => {
        run.c.validateUpgrade(n, force);
        run.c.upgradeLegacy(n, { image, stage, force, rebootMode: mode, by: `talosctl ${run.ctx.clientVersion}` });
    };
    if (run.minor >= 13) return upgrade113(run, target.nodes, image, mode, wait, legacyAction);
    return upgradeLegacy(run, target.nodes, wait, legacyAction, false);
}

/**
 * MachineService.Upgrade (SOURCES.md §4): without --wait one call, a refusal as a WARNING (exit
 * 0) and the NODE ACK STARTED table of the nodes that acked; with --wait the tracker. `skewOnTrack`:
 * v1.13's tracker runs ClientVersionCheck first (the skew warning, SOURCES.md §0).
 */
async function upgradeLegacy(run: Run, nodes: string[], wait: boolean, legacyAction: (n: SimNode) => void, skewOnTrack: boolean): Promise<void> {
    if (!wait) {
        const outcomes = await run.callEach(nodes, (n) => {
            legacyAction(n);
            return n;
        });
        run.versionSkewWarning(outcomes);
        const ok = run.warnOrFail(outcomes);
        run.io.out(tabwrite(["NODE\tACK\tSTARTED", ...ok.map((o) => `${o.addr}\tUpgrade request received\t${goTimeNow()}\t`)].join("\n") + "\n"));
        return;
    }
    if (skewOnTrack) run.versionSkewWarning(nodes.map((addr) => ({ addr, node: run.c.resolveAddress(addr) })));
    await track(run, nodes, (n) => legacyAction(n), { sequence: "upgrade", done: "ready", postCheck: "bootId" });
}

/**
 * v1.13 `upgradeViaLifecycleService` (SOURCES.md §4). `--legacy`, or any node outside
 * `>1.13.0-alpha.2 <2.0.0`, sends the whole call down the legacy path. Otherwise, in phases over
 * every node: pull and install (streamed; each node's result reported as `<node>: upgrade
 * completed` / `<node>: upgrade failed with exit code N` on stderr, failures end the command with
 * `error during upgrade: …`, exit 1), then with --drain cordon + drain, then the reboot (fired,
 * or tracked with --wait) and, deferred, the uncordon of what was drained.
 */
async function upgrade113(run: Run, nodes: string[], image: string, mode: string, wait: boolean, legacyAction: (n: SimNode) => void): Promise<void> {
    if (run.flag<boolean>("legacy")) {
        run.io.err("WARNING: Forcing use of legacy upgrade method. This flag is deprecated and will be removed in Talos 1.18.\n");
        return upgradeLegacy(run, nodes, wait, legacyAction, true);
    }
    // helpers.TalosVersionCheck: one node outside the range is enough to fall back.
    const checked = nodes.map((addr) => ({ addr, ...run.targetError(addr) }));
    const alpha2 = parseSemver("v1.13.0-alpha.2")!;
    const newApi = (version: string) => {
        const v = parseSemver(version);
        return !!v && compareSemver(v, alpha2) > 0 && v.major < 2;
    };
    if (checked.some((o) => !o.error && o.node && !newApi(o.node.version))) {
        run.io.err("New upgrade API is not available, falling back to legacy\n"); // the reporter's plain line, no node prefix
        return upgradeLegacy(run, nodes, wait, legacyAction, true);
    }
    const unreachable = checked.filter((o) => o.error !== undefined);
    if (unreachable.length > 0) throw new CliError(`error checking Talos version compatibility: ${unreachable.map((o) => `${o.addr}: error getting server version: ${o.error}`).join("\n")}`);
    const targets = checked.map((o) => ({ addr: o.addr, n: o.node! }));

    for (const t of targets) run.io.err(`${t.addr}: pulling image ${image}\n`); // guess: the pull progress text
    const results = await Promise.all(
        targets.map(async (t): Promise<{ addr: string; code?: number; error?: string }> => {
            try {
                return { addr: t.addr, code: await run.c.upgradeInstall(t.n, image, run.io.signal) };
            } catch (e) {
                if (e instanceof GrpcError) return { addr: t.addr, error: e.message };
                throw e;
            }
        }),
    );
    const errors = results.filter((r) => r.error !== undefined).map((r) => `error from node ${r.addr}: ${r.error}`);
    const finished = results.filter((r): r is { addr: string; code: number } => r.code !== undefined);
    if (finished.length > 0) run.io.err(finished.map((r) => (r.code === 0 ? `${r.addr}: upgrade completed\n` : `${r.addr}: upgrade failed with exit code ${r.code}\n`)).join(""));
    errors.push(...finished.filter((r) => r.code !== 0).map((r) => `node ${r.addr}: upgrade failed with exit code ${r.code}`));
    if (errors.length > 0) throw new CliError(`error during upgrade: ${errors.join("\n")}`);

    const drained: { n: SimNode; addr: string }[] = [];
    try {
        if (run.flag<boolean>("drain")) {
            const drainErrors = await Promise.all(
                targets.map(async (t) => {
                    if (t.n.kube.exists) drained.push(t);
                    const err = await clientDrain(run, t.n, t.addr);
                    if (err) run.line(t.addr, `error: ${err}`);
                    return err;
                }),
            );
            if (drainErrors.some((e) => e !== undefined)) throw new CliError("", { suppress: true });
        }
        // rebootInternal: ClientVersionCheck (directly, or as the tracker's first step), then the reboot.
        run.versionSkewWarning(targets.map((t) => ({ addr: t.addr, node: t.n })));
        const fire = (n: SimNode) => run.c.rebootForUpgrade(n, mode, "talosctl");
        if (!wait) {
            for (const t of targets) fire(t.n);
            return;
        }
        await track(run, nodes, (n) => fire(n), { sequence: "reboot", done: "ready", postCheck: "bootId" });
    } finally {
        for (const { n, addr } of drained) uncordon(run, n, addr);
    }
}

/** Go's time.Now().String() shape (with monotonic reading), used by the NODE ACK STARTED table. */
function goTimeNow(): string {
    const d = new Date();
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? "+" : "-";
    const tz = `${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
    const ns = pad(d.getMilliseconds(), 3) + "000000";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${ns} ${tz} ${off === 0 ? "UTC" : tz} m=+${(process.uptime()).toFixed(9)}`;
}
