/** `talosctl version` (SOURCES.md §1). */
import { createHash } from "crypto";
import { CliError } from "../cli";
import type { SimNode } from "../cluster";
import { parseSemver } from "../gofmt";
import { NODES_NOT_SET, type Outcome, type Run } from "./run";

function goVersionFor(talos: string): string {
    const v = parseSemver(talos);
    if (!v) return "go1.24.9";
    return v.minor <= 10 ? "go1.24.4" : v.minor === 11 ? "go1.24.9" : v.minor === 12 ? "go1.25.5" : "go1.25.8";
}

function shaFor(version: string): string {
    return createHash("sha256").update(`talos-${version}`).digest("hex").slice(0, 8);
}

function versionBlock(tag: string): string {
    return `\tTag:         ${tag}\n\tSHA:         ${shaFor(tag)}\n\tBuilt:       \n\tGo version:  ${goVersionFor(tag)}\n\tOS/Arch:     linux/amd64\n`;
}

export async function version(run: Run): Promise<void> {
    const json = run.flag<boolean>("json");
    if (!json) {
        run.io.out("Client:\n");
        run.io.out(run.flag<boolean>("short") ? `Talos ${run.ctx.clientVersion}\n` : versionBlock(run.ctx.clientVersion));
        if (run.flag<boolean>("client")) return;
    }
    const print = (o: Outcome<SimNode>) => {
        const n = o.value!;
        if (json) {
            run.io.out(
                `${JSON.stringify({ metadata: { hostname: o.addr }, version: { tag: n.version, sha: shaFor(n.version), goVersion: goVersionFor(n.version), os: "linux", arch: "amd64" }, platform: { name: "metal", mode: "metal" }, features: { rbac: true } })}\n`,
            );
            return;
        }
        run.io.out(`\tNODE:        ${o.addr}\n${versionBlock(n.version)}\tEnabled:     RBAC\n`);
    };
    if (run.flag<boolean>("insecure")) {
        const nodes = run.flag<string[]>("nodes");
        if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
        if (!json) run.io.out("Server:\n");
        const outs = run.maintenanceCall(nodes.slice(0, 1), (n) => n);
        if (outs[0]!.error) throw new CliError(`error getting version: ${outs[0]!.error}`);
        print(outs[0]!);
        return;
    }
    const server = () => {
        if (!json) run.io.out("Server:\n");
    };
    await run.readEach({ what: "version", multiplexFrom: 13, errPrefix: "error getting version from node", beforeCalls: server }, (n) => n, (ok) => {
        for (const o of ok) print(o);
    });
}
