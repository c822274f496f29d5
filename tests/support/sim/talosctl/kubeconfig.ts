/** `talosctl kubeconfig` (no source: guesses, README.md). */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import YAML from "yaml";
import { CliError } from "../cli";
import { goQuote } from "../gofmt";
import type { Run } from "./run";

function kubeconfigYaml(run: Run): string {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const name = run.c.clusterName;
    return YAML.stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name, cluster: { server: run.ctx.kubeUrl(), "certificate-authority-data": b64(run.ctx.pki.caCert) } }],
            users: [{ name: `admin@${name}`, user: { "client-certificate-data": b64(run.ctx.pki.clientCert), "client-key-data": b64(run.ctx.pki.clientKey) } }],
            contexts: [{ context: { cluster: name, namespace: "default", user: `admin@${name}` }, name: `admin@${name}` }],
            "current-context": `admin@${name}`,
        },
        { indent: 4 },
    );
}

export async function kubeconfig(run: Run): Promise<void> {
    const target = run.client();
    run.failIfMultiNodes(target.nodes, "kubeconfig");
    let merge = run.flag<boolean>("merge");
    const force = run.flag<boolean>("force");
    const arg = run.cmd.args[0];
    if (arg === "-" && !merge && run.minor >= 13) {
        const [o] = await run.callEach(target.nodes, (n) => run.requireCp(n, "kubeconfig"));
        if (o!.error) throw new CliError(`error copying: ${o!.error}`);
        run.io.out(kubeconfigYaml(run));
        return;
    }
    let local = arg !== undefined ? run.abs(arg) : merge ? join(run.req.env["HOME"] ?? "/root", ".kube", "config") : run.req.cwd;
    const shown = arg ?? local;
    if (existsSync(local) && statSync(local).isDirectory()) local = join(local, "kubeconfig");
    else if (!existsSync(local)) mkdirSync(dirname(local), { recursive: true });
    const exists = existsSync(local);
    if (exists && !(force || merge)) throw new CliError(`kubeconfig file already exists, use --force to overwrite: ${goQuote(local === run.abs(shown) ? shown : local)}`);
    if (!exists) merge = false;
    const [o] = await run.callEach(target.nodes, (n) => run.requireCp(n, "kubeconfig"));
    if (o!.error) throw new CliError(`error copying: ${o!.error}`);
    const fresh = kubeconfigYaml(run);
    if (!merge) {
        writeFileSync(local, fresh, { mode: 0o600 });
    } else {
        writeFileSync(local, mergeKubeconfig(run, readFileSync(local, "utf8"), fresh, force, run.flag<string>("force-context-name")), { mode: 0o600 });
    }
    run.c.emit("talosctl", "kubeconfig-written", undefined, { path: local, merged: merge });
}

/** talos pkg/kubeconfig merge: conflicting entries renamed (non-interactive) or overwritten (--force). */
function mergeKubeconfig(run: Run, existingText: string, freshText: string, force: boolean, forceName: string): string {
    type Named = { name: string; [k: string]: unknown };
    const existing = (YAML.parse(existingText) ?? {}) as Record<string, unknown>;
    const fresh = YAML.parse(freshText) as { clusters: Named[]; users: Named[]; contexts: (Named & { context: { cluster: string; user: string } })[] };
    const lists = { clusters: [...((existing["clusters"] as Named[]) ?? [])], users: [...((existing["users"] as Named[]) ?? [])], contexts: [...((existing["contexts"] as Named[]) ?? [])] };
    const rename = (kind: "clusters" | "users" | "contexts", entry: Named): string => {
        const list = lists[kind];
        const idx = list.findIndex((x) => x.name === entry.name);
        if (idx < 0) {
            list.push(entry);
            return entry.name;
        }
        if (JSON.stringify(list[idx]) === JSON.stringify(entry)) return entry.name;
        if (force) {
            list[idx] = entry;
            return entry.name;
        }
        let i = 1;
        while (list.some((x) => x.name === `${entry.name}-${i}`)) i++;
        const renamed = `${entry.name}-${i}`;
        run.io.out(`renamed ${kind.slice(0, -1)} ${goQuote(entry.name)} -> ${goQuote(renamed)}\n`);
        list.push({ ...entry, name: renamed });
        return renamed;
    };
    const clusterName = rename("clusters", fresh.clusters[0]!);
    const userName = rename("users", fresh.users[0]!);
    const ctx = fresh.contexts[0]!;
    const contextEntry = { ...ctx, name: forceName || ctx.name, context: { ...ctx.context, cluster: clusterName, user: userName } };
    const contextName = rename("contexts", contextEntry);
    return YAML.stringify({ ...existing, apiVersion: "v1", kind: "Config", ...lists, "current-context": contextName }, { indent: 4 });
}
