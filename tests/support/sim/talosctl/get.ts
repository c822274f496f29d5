/** `talosctl get` and the COSI resources it serves (SOURCES.md §2, §12). */
import YAML from "yaml";
import { CliError } from "../cli";
import { GrpcError, type Cluster, type SimNode } from "../cluster";
import { goJson, goQuote, multierror, tabwrite } from "../gofmt";
import { VANILLA_SCHEMATIC } from "../machineconfig";
import { NODES_NOT_SET, type Outcome, type Run } from "./run";

const stageName: Record<string, string> = {
    running: "running",
    rebooting: "rebooting",
    upgrading: "upgrading",
    resetting: "resetting",
    "shutting down": "shutting down",
    installing: "installing",
    maintenance: "maintenance",
};

function rfc3339(ms: number): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export async function get(run: Run): Promise<void> {
    const [typeArg, id] = run.cmd.args as [string, string | undefined];
    const output = run.flag<string>("output");
    if (!["json", "yaml", "table"].includes(output) && !output.startsWith("jsonpath")) throw new CliError(`unknown output format: ${goQuote(output)}`);
    if (run.flag<boolean>("watch")) throw new CliError("sim: get --watch is not emulated");
    const def = RESOURCE_DEFS.find((d) => d.aliases.includes(typeArg.toLowerCase()) || d.type.toLowerCase() === typeArg.toLowerCase());
    let outcomes: Outcome<Res[]>[];
    const list = (n: SimNode): Res[] => {
        if (!def) throw new GrpcError("Unknown", `resource ${goQuote(typeArg)} is not registered`); // guess
        const ns = run.flag<string>("namespace");
        if (ns && ns !== def.namespace) return [];
        const all = def.list(run.c, n);
        if (id === undefined) return all;
        const one = all.find((r) => r.id === id);
        if (!one) throw new GrpcError("NotFound", `resource ${def.type}(${def.namespace}/${id}@undefined) doesn't exist`);
        return [one];
    };
    if (run.flag<boolean>("insecure")) {
        const nodes = run.flag<string[]>("nodes");
        if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
        outcomes = run.maintenanceCall(nodes.slice(0, 1), (n) => {
            if (def?.sensitive) throw new GrpcError("PermissionDenied", "not authorized");
            return list(n);
        });
    } else {
        const target = run.client();
        outcomes = await run.callEach(target.nodes, (n) => list(n));
        run.versionSkewWarning(outcomes);
    }
    const rows: string[] = [];
    let firstYaml = true;
    for (const o of outcomes) {
        if (!o.value || !def) continue;
        for (const r of o.value) {
            const md: Record<string, unknown> = {
                namespace: def.namespace,
                type: def.type,
                id: /^\d+$/.test(r.id) ? Number(r.id) : r.id,
                version: r.version,
                owner: def.owner,
                phase: "running",
                created: rfc3339(r.created),
                updated: rfc3339(r.updated),
            };
            if (output === "json") run.io.out(`${goJson({ metadata: md, node: o.addr, spec: r.spec })}\n`);
            else if (output === "yaml") {
                if (!firstYaml) run.io.out("---\n");
                firstYaml = false;
                run.io.out(YAML.stringify({ node: o.addr, metadata: md, spec: r.spec }, { indent: 4 }));
            } else if (output.startsWith("jsonpath")) {
                const expr = output.replace(/^jsonpath=?/, "").replace(/^\{|\}$/g, "").replace(/^\./, "");
                let v: unknown = { metadata: md, node: o.addr, spec: r.spec };
                for (const p of expr.split(".").filter(Boolean)) v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
                run.io.out(`${typeof v === "object" ? JSON.stringify(v) : String(v ?? "")}\n`);
            } else rows.push([o.addr, def.namespace, def.display, r.id, String(r.version), ...def.columns.map((c) => c(r.spec))].join("\t"));
        }
    }
    if (output === "table" && def) {
        const header = ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", ...def.columnNames].join("\t");
        run.io.out(tabwrite([header, ...rows].join("\n") + "\n"));
    }
    const errs = outcomes.filter((o) => o.error !== undefined);
    if (errs.length > 0) throw new CliError(multierror(errs.map((o) => `${o.addr}: ${o.error}`)));
}

// ---------------------------------------------------------------------------------------------
// COSI resources served by `get`
// ---------------------------------------------------------------------------------------------

interface Res {
    id: string;
    version: number;
    created: number;
    updated: number;
    spec: unknown;
}

interface ResourceDef {
    type: string;
    /** The TYPE column of table output (the definition's display type). */
    display: string;
    namespace: string;
    aliases: string[];
    owner: string | null;
    sensitive?: boolean;
    columnNames: string[];
    columns: ((spec: unknown) => string)[];
    list(c: Cluster, n: SimNode): Res[];
}

const res = (n: SimNode, id: string, spec: unknown, version = 1): Res => ({ id, version, created: n.bootedAt, updated: n.bootedAt, spec });

const RESOURCE_DEFS: ResourceDef[] = [
    {
        type: "Versions.runtime.talos.dev",
        display: "Version",
        namespace: "runtime",
        aliases: ["version", "versions"],
        owner: "runtime.VersionController",
        columnNames: ["VERSION"],
        columns: [(s) => (s as { version: string }).version],
        list: (_c, n) => [res(n, "version", { version: n.version })],
    },
    {
        type: "ExtensionStatuses.runtime.talos.dev",
        display: "ExtensionStatus",
        namespace: "runtime",
        aliases: ["extensions", "extension", "extensionstatus", "extensionstatuses"],
        owner: "runtime.ExtensionStatusController",
        columnNames: ["NAME", "VERSION"],
        columns: [(s) => (s as { metadata: { name: string } }).metadata.name, (s) => (s as { metadata: { version: string } }).metadata.version],
        list: (_c, n) => {
            const exts = n.extensions.map((e, i) =>
                res(n, String(i), {
                    image: `${String(i).padStart(3, "0")}.${e.name}.sqsh`,
                    metadata: {
                        name: e.name,
                        version: e.version,
                        author: e.author ?? "Sidero Labs",
                        description: e.description ?? `${e.name} system extension`,
                        compatibility: { talos: { version: `>= ${n.version.replace(/\.\d+$/, ".0")}` } },
                    },
                }),
            );
            exts.push(
                res(n, String(exts.length), {
                    image: `${String(exts.length).padStart(3, "0")}.schematic.sqsh`,
                    metadata: {
                        name: "schematic",
                        version: n.schematic,
                        author: "Image Factory",
                        description: "Virtual extension which specifies the schematic of the image built with Image Factory.",
                        compatibility: { talos: { version: ">= 1.0.0" } },
                        ...(n.schematic !== VANILLA_SCHEMATIC && n.extensions.length > 0 ? { extraInfo: `customization:\n    systemExtensions:\n        officialExtensions:\n${n.extensions.map((e) => `            - siderolabs/${e.name}\n`).join("")}` } : {}),
                    },
                }),
            );
            return exts;
        },
    },
    {
        type: "MachineStatuses.runtime.talos.dev",
        display: "MachineStatus",
        namespace: "runtime",
        aliases: ["machinestatus", "machinestatuses"],
        owner: "runtime.MachineStatusController",
        columnNames: ["STAGE", "READY"],
        columns: [(s) => (s as { stage: string }).stage, (s) => String((s as { status: { ready: boolean } }).status.ready)],
        list: (c, n) => {
            const ready = n.stage === "running" && n.kube.exists;
            const unmet = n.stage === "maintenance" ? [] : ready ? [] : [{ name: "nodeReady", reason: "node not ready" }];
            return [res(n, "machine", { stage: stageName[n.stage] ?? "unknown", status: { ready: n.stage === "maintenance" ? false : ready && c.kubeReady(n), unmetConditions: unmet } }, n.boots + 2)];
        },
    },
    {
        type: "MachineConfigs.config.talos.dev",
        display: "MachineConfig",
        namespace: "config",
        aliases: ["machineconfig", "machineconfigs", "mc"],
        owner: null,
        sensitive: true,
        columnNames: [],
        columns: [],
        list: (_c, n) => {
            const out: Res[] = [];
            if (n.active !== undefined) out.push(res(n, "v1alpha1", n.active));
            if (n.persistent !== undefined) out.push(res(n, "persistent", n.persistent));
            return out;
        },
    },
    {
        type: "MachineTypes.config.talos.dev",
        display: "MachineType",
        namespace: "config",
        aliases: ["machinetype", "machinetypes"],
        owner: null,
        columnNames: ["TYPE"],
        columns: [(s) => String(s)],
        list: (_c, n) => (n.configured ? [res(n, "machine-type", n.role)] : []),
    },
    {
        type: "Nodenames.kubernetes.talos.dev",
        display: "Nodename",
        namespace: "k8s",
        aliases: ["nodename", "nodenames"],
        owner: "k8s.NodenameController",
        columnNames: ["NODENAME"],
        columns: [(s) => (s as { nodename: string }).nodename],
        list: (_c, n) => (n.configured ? [res(n, "nodename", { nodename: n.hostname, hostnameVersion: "1", skipNodeRegistration: false })] : []),
    },
    {
        type: "EtcdMembers.etcd.talos.dev",
        display: "EtcdMember",
        namespace: "etcd",
        aliases: ["etcdmember", "etcdmembers"],
        owner: "etcd.MemberController",
        columnNames: ["MEMBER ID"],
        columns: [(s) => (s as { memberID: string }).memberID],
        list: (c, n) => {
            const m = c.memberOf(n);
            return m && n.etcd.state === "running" ? [res(n, "local", { memberID: m.id })] : [];
        },
    },
];

export { RESOURCE_DEFS };
