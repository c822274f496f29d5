/** `talosctl apply-config` (SOURCES.md §9, §10). */
import { readFileSync } from "fs";
import { CliError } from "../cli";
import { GrpcError } from "../cluster";
import { formatGoDuration, goQuote } from "../gofmt";
import { applyPatches, canApplyImmediate, configsEqual, parseConfig, unifiedDiff } from "../machineconfig";
import { NODES_NOT_SET, type Run } from "./run";

export async function applyConfig(run: Run): Promise<void> {
    const file = run.flag<string>("file");
    if (!file) throw new CliError("no filename supplied for configuration");
    const mode = run.flag<string>("mode");
    const modes = run.minor <= 11 ? ["auto", "interactive", "no-reboot", "reboot", "staged", "try"] : ["auto", "no-reboot", "reboot", "staged", "try"];
    if (!modes.includes(mode)) throw new CliError(`invalid argument ${goQuote(mode)} for "-m, --mode" flag: must be one of ${modes.join(", ")}`); // guess (custom pflag Value)
    if (mode === "interactive") throw new CliError("interactive mode requires a terminal"); // guess
    let text: string;
    try {
        text = readFileSync(run.abs(file), "utf8");
    } catch {
        throw new CliError(`open ${file}: no such file or directory`);
    }
    const patches = run.flag<string[]>("config-patch").map((p) => (p.startsWith("@") ? readFileSync(run.abs(p.slice(1)), "utf8") : p));
    try {
        text = applyPatches(text, patches);
    } catch (e) {
        throw new CliError((e as Error).message);
    }
    const dryRun = run.flag<boolean>("dry-run");
    const tryMs = run.durationMs("timeout");
    const parse = () => {
        try {
            return parseConfig(text);
        } catch (e) {
            throw new GrpcError("InvalidArgument", (e as Error).message);
        }
    };

    if (run.flag<boolean>("insecure")) {
        const nodes = run.flag<string[]>("nodes");
        if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
        // WithClientMaintenance uses the nodes as endpoints: one call, served by one of them.
        const outs = run.maintenanceCall(nodes.slice(0, 1), (n) => {
            if (!["auto", "reboot", "try"].includes(mode)) throw new GrpcError("Unimplemented", `apply configuration --mode='${mode}' is not supported in maintenance mode`);
            parse();
            if (dryRun) return "Dry run summary:\nNode is running in maintenance mode and does not have a config yet.";
            run.c.install(n, text);
            return "";
        });
        if (outs[0]!.error) throw new CliError(`error applying new configuration: ${outs[0]!.error}`);
        if (outs[0]!.value) run.io.err(`${outs[0]!.value}\n`);
        return;
    }

    const target = run.client();
    const outcomes = await run.callEach(target.nodes, (n) => {
        const next = parse();
        const cur = run.c.config(n, "active");
        const immediateErr = canApplyImmediate(cur?.v1alpha1, next.v1alpha1);
        if ((mode === "no-reboot" || mode === "try") && immediateErr) throw new GrpcError("InvalidArgument", immediateErr);
        let details = mode === "staged" ? "Staged configuration to be applied after the next reboot" : mode === "reboot" || (mode === "auto" && immediateErr) ? "Applied configuration with a reboot" : "Applied configuration without a reboot";
        if (dryRun) {
            const diff = cur && configsEqual(cur, next) ? "No changes." : unifiedDiff(n.active ?? "", text);
            return `Dry run summary:\n${details} (skipped in dry-run).\nConfig diff:\n\n${diff}`;
        }
        if (mode === "try") details += `\nThe config is applied in 'try' mode and will be automatically reverted back in ${formatGoDuration(tryMs)}`;
        run.c.applyConfig(n, text, mode as "auto", tryMs * run.c.timing.cliDurationScale);
        return mode === "auto" && immediateErr ? `${details}: ${immediateErr}` : details;
    });
    for (const o of outcomes) if (o.value !== undefined) run.io.err(`${o.value.replace(/\n$/, "")}\n`);
    run.failOnErrors(outcomes, "error applying new configuration: ");
}
