/**
 * The talosctl emulation: what the fake `talosctl` binary does, per emulated client version,
 * against the simulated cluster. The generated script only forwards argv/cwd/env here and
 * relays stdout/stderr/exit code. Facts about the real talosctl: SOURCES.md in the sim folder, cited
 * by section (§N) in each command's file; behaviour no source documents is marked "guess" and listed
 * in README.md. One file per command group; run.ts holds the client plumbing they share.
 */
import { commandTree, parseCommandLine } from "../cli";
import { parseSemver } from "../gofmt";
import { applyConfig } from "./apply-config";
import { bootstrap } from "./bootstrap";
import { configInfo } from "./config-info";
import { etcdAlarmList, etcdForfeitLeadership, etcdLeave, etcdMembers, etcdRemoveMember, etcdSnapshot, etcdStatus } from "./etcd";
import { get } from "./get";
import { health } from "./health";
import { kubeconfig } from "./kubeconfig";
import { read } from "./read";
import { rebootCmd, resetCmd, shutdownCmd } from "./reboot-shutdown-reset";
import { printError, Run, type Command, type TalosctlContext, type TalosctlIO, type TalosctlRequest } from "./run";
import { service } from "./service";
import { upgrade } from "./upgrade";
import { upgradeK8s } from "./upgrade-k8s";
import { version } from "./version";

export type { TalosctlContext, TalosctlIO, TalosctlRequest } from "./run";

/** The emulated commands by command path; any other command of the tree is "not emulated". */
const COMMANDS = new Map<string, Command>([
    ["version", version],
    ["get", get],
    ["read", read],
    ["kubeconfig", kubeconfig],
    ["etcd members", etcdMembers],
    ["etcd status", etcdStatus],
    ["etcd forfeit-leadership", etcdForfeitLeadership],
    ["etcd leave", etcdLeave],
    ["etcd remove-member", etcdRemoveMember],
    ["etcd snapshot", etcdSnapshot],
    ["etcd alarm list", etcdAlarmList],
    ["upgrade", upgrade],
    ["reboot", rebootCmd],
    ["shutdown", shutdownCmd],
    ["reset", resetCmd],
    ["apply-config", applyConfig],
    ["upgrade-k8s", upgradeK8s],
    ["service", service],
    ["bootstrap", bootstrap],
    ["config info", configInfo],
    ["health", health],
]);

export async function runTalosctl(ctx: TalosctlContext, req: TalosctlRequest, io: TalosctlIO): Promise<number> {
    const ver = parseSemver(ctx.clientVersion);
    if (!ver) {
        io.err(`sim: bad talosctlVersion ${ctx.clientVersion}\n`);
        return 1;
    }
    const root = commandTree(ver.minor, ctx.clientVersion);
    const parsed = parseCommandLine(root, req.argv);
    if (parsed.kind === "help") {
        ctx.cluster.emit("talosctl", "talosctl-help", undefined, { argv: req.argv });
        io.out(parsed.text);
        return 0;
    }
    if (parsed.kind === "error") {
        ctx.cluster.emit("talosctl", "talosctl-rejected", undefined, { argv: req.argv, error: parsed.message });
        printError(io, parsed.message, parsed.usage);
        return 1;
    }
    const run = new Run(ctx, req, io, parsed.cmd, ver.minor);
    return run.execute(COMMANDS.get(run.path));
}
