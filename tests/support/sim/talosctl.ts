/**
 * The talosctl emulation: what the fake `talosctl` binary does, per emulated client version,
 * against the simulated cluster. The generated script only forwards argv/cwd/env here and
 * relays stdout/stderr/exit code. Facts about the real talosctl: SOURCES.md in this folder, cited
 * by section (§N) in the banners below; behaviour no source documents is marked "guess" and listed
 * in README.md.
 */
import { X509Certificate, createHash } from "crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import { dirname, isAbsolute, join, resolve as resolvePath } from "path";
import YAML from "yaml";
import { CliError, commandTree, parseCommandLine, type ParsedCommand } from "./cli";
import { Cluster, GrpcError, uuidFrom, type SimNode } from "./cluster";
import { compareSemver, formatGoDuration, goQuote, humanizeBytes, humanizeRelTime, multierror, parseGoDuration, parseSemver, semverString, tabwrite } from "./gofmt";
import { applyPatches, ConfigError, configsEqual, canApplyImmediate, parseConfig, unifiedDiff, VANILLA_SCHEMATIC } from "./machineconfig";
import type { SimPki } from "./pki";
import type { Invocation } from "./types";

export interface TalosctlContext {
    cluster: Cluster;
    clientVersion: string;
    kubeUrl: () => string;
    pki: SimPki;
}

export interface TalosctlRequest {
    argv: string[];
    cwd: string;
    env: Record<string, string | undefined>;
}

export interface TalosctlIO {
    out(s: string): void;
    err(s: string): void;
    signal: AbortSignal;
}

const CONN_REFUSED = (addr: string) => `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${addr}:50000: connect: connection refused"`;
const NO_ROUTE = (addr: string) => `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${addr}:50000: connect: no route to host"`;
const TLS_UNKNOWN_CA = `rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`;
const TLS_CERT_REQUIRED = `rpc error: code = Unavailable desc = connection error: desc = "error reading server preface: remote error: tls: certificate required"`;

const NODES_NOT_SET = "nodes are not set for the command: please use `--nodes` flag or configuration file to set the nodes to run the command against";

interface TalosconfigContext {
    endpoints?: string[];
    nodes?: string[];
    ca?: string;
    crt?: string;
    key?: string;
}

interface Talosconfig {
    context?: string;
    contexts?: Record<string, TalosconfigContext>;
}

interface Outcome<T> {
    addr: string;
    node: SimNode | undefined;
    value?: T;
    error?: string;
}

/** Whole-call failure: the endpoint could not be reached (no per-node response at all). */
class DirectError extends Error {}

const stageName: Record<string, string> = {
    running: "running",
    rebooting: "rebooting",
    upgrading: "upgrading",
    resetting: "resetting",
    "shutting down": "shutting down",
    installing: "installing",
    maintenance: "maintenance",
};

function goVersionFor(talos: string): string {
    const v = parseSemver(talos);
    if (!v) return "go1.24.9";
    return v.minor <= 10 ? "go1.24.4" : v.minor === 11 ? "go1.24.9" : v.minor === 12 ? "go1.25.5" : "go1.25.8";
}

function shaFor(version: string): string {
    return createHash("sha256").update(`talos-${version}`).digest("hex").slice(0, 8);
}

/** JSON like Go's encoding/json with SetIndent("", "    "): sorted keys (maps), HTML escaping. */
export function goJson(v: unknown): string {
    const sortKeys = (x: unknown): unknown => {
        if (Array.isArray(x)) return x.map(sortKeys);
        if (x && typeof x === "object") {
            const o: Record<string, unknown> = {};
            for (const k of Object.keys(x as object).sort()) o[k] = sortKeys((x as Record<string, unknown>)[k]);
            return o;
        }
        return x;
    };
    return JSON.stringify(sortKeys(v), null, 4).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

function rfc3339(ms: number): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

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
    return run.execute();
}

/** talosctl main(): the error, then (if it mentions arg(s)/flag/command) a blank line and usage. */
function printError(io: TalosctlIO, message: string, usage: string): void {
    io.err(`${message}\n`);
    if (message.includes("arg(s)") || message.includes("flag") || message.includes("command")) io.err(`\n${usage}\n`);
}

class Run {
    private readonly c: Cluster;
    private readonly path: string;
    private readonly f: Record<string, unknown>;
    private talosconfigCache: { path: string; cfg?: Talosconfig; error?: string } | undefined;

    constructor(
        private readonly ctx: TalosctlContext,
        private readonly req: TalosctlRequest,
        private readonly io: TalosctlIO,
        private readonly cmd: ParsedCommand,
        private readonly minor: number,
    ) {
        this.c = ctx.cluster;
        this.path = cmd.path.join(" ");
        this.f = cmd.flags;
    }

    private flag<T>(name: string): T {
        return this.f[name] as T;
    }

    private durationMs(name: string): number {
        return parseGoDuration(this.flag<string>(name));
    }

    /** A command-line duration converted to compressed sim time. */
    private simMs(name: string): number {
        return this.durationMs(name) * this.c.timing.cliDurationScale;
    }

    async execute(): Promise<number> {
        for (const n of this.cmd.notices) this.io.err(`${n}\n`);
        const inv = this.invocation();
        for (const h of inv.hosts.length ? inv.hosts : [undefined]) this.c.emit("talosctl", `talosctl ${this.path}`, h, { argv: this.req.argv });
        const fault = this.c.faultState.commands.find((x) => x.remaining > 0 && x.pred(inv));
        if (fault) {
            fault.remaining--;
            if (fault.stdout) this.io.out(fault.stdout);
            if (fault.stderr) this.io.err(fault.stderr.endsWith("\n") ? fault.stderr : `${fault.stderr}\n`);
            this.c.emit("talosctl", "talosctl-failed", inv.hosts[0], { command: this.path, injected: true, code: fault.code });
            return fault.code;
        }
        try {
            await this.dispatch();
            return 0;
        } catch (e) {
            if (e instanceof CliError) {
                if (!e.opts.suppress) printError(this.io, e.message, "Usage:\n  talosctl " + this.path + " [flags]\n");
                this.c.emit("talosctl", "talosctl-failed", inv.hosts[0], { command: this.path, error: e.message });
                return 1;
            }
            if (e instanceof DirectError || e instanceof GrpcError || e instanceof ConfigError) {
                printError(this.io, e.message, "");
                this.c.emit("talosctl", "talosctl-failed", inv.hosts[0], { command: this.path, error: e.message });
                return 1;
            }
            throw e;
        }
    }

    private invocation(): Invocation {
        const nodes = this.flag<string[]>("nodes") ?? [];
        let addrs = nodes;
        if (addrs.length === 0) {
            const tc = this.loadTalosconfig();
            addrs = this.contextOf(tc.cfg)?.nodes ?? [];
        }
        const hosts = addrs.map((a) => this.c.resolveAddress(a)?.hostname).filter((h): h is string => !!h);
        return { argv: this.req.argv, command: this.path, nodes, hosts };
    }

    private async dispatch(): Promise<void> {
        switch (this.path) {
            case "version":
                return this.version();
            case "get":
                return this.get();
            case "read":
                return this.read();
            case "kubeconfig":
                return this.kubeconfig();
            case "etcd members":
                return this.etcdMembers();
            case "etcd status":
                return this.etcdStatus();
            case "etcd forfeit-leadership":
                return this.etcdSimple("forfeit", (n) => this.requireCp(n, "etcd forfeit leadership") ?? this.c.forfeitLeadership(n));
            case "etcd leave":
                return this.etcdLeave();
            case "etcd remove-member":
                return this.etcdRemoveMember();
            case "etcd snapshot":
                return this.etcdSnapshot();
            case "etcd alarm list":
                return this.etcdAlarmList();
            case "upgrade":
                return this.upgrade();
            case "reboot":
                return this.rebootCmd();
            case "shutdown":
                return this.shutdownCmd();
            case "reset":
                return this.resetCmd();
            case "apply-config":
                return this.applyConfig();
            case "upgrade-k8s":
                return this.upgradeK8s();
            case "service":
                return this.service();
            case "bootstrap":
                return this.bootstrap();
            case "config info":
                return this.configInfo();
            case "health":
                return this.health();
            default:
                throw new CliError(`sim: "talosctl ${this.path}" is not emulated`);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Client plumbing (GlobalArgs.WithClient / WithClientMaintenance; SOURCES.md §0)
    // -----------------------------------------------------------------------------------------

    private abs(p: string): string {
        return isAbsolute(p) ? p : resolvePath(this.req.cwd, p);
    }

    private loadTalosconfig(): { path: string; cfg?: Talosconfig; error?: string } {
        if (this.talosconfigCache) return this.talosconfigCache;
        const given = this.flag<string>("talosconfig") || this.req.env["TALOSCONFIG"] || join(this.req.env["HOME"] ?? "/root", ".talos", "config");
        const path = this.abs(given);
        try {
            const cfg = (YAML.parse(readFileSync(path, "utf8")) ?? {}) as Talosconfig;
            this.talosconfigCache = { path: given, cfg };
        } catch (e) {
            const err = e as NodeJS.ErrnoException;
            const text = err.code === "ENOENT" ? `open ${given}: no such file or directory` : err.message;
            this.talosconfigCache = { path: given, error: `failed to open config file ${goQuote(given)}: ${text}` };
        }
        return this.talosconfigCache;
    }

    private contextName(cfg: Talosconfig | undefined): string | undefined {
        return this.flag<string>("context") || cfg?.context;
    }

    private contextOf(cfg: Talosconfig | undefined): TalosconfigContext | undefined {
        const name = this.contextName(cfg);
        return name ? cfg?.contexts?.[name] : undefined;
    }

    /** Endpoints and nodes for a secure (talosconfig) client; throws like talosctl. */
    private client(): { endpoint: SimNode; nodes: string[] } {
        const tc = this.loadTalosconfig();
        if (tc.error) throw new CliError(tc.error);
        const name = this.contextName(tc.cfg);
        const context = this.contextOf(tc.cfg);
        if (!name) throw new CliError("error constructing client: no context is set"); // guess
        if (!context) throw new CliError(`error constructing client: context ${goQuote(name)} is not defined`); // guess
        const endpoints = (this.flag<string[]>("endpoints") ?? []).length > 0 ? this.flag<string[]>("endpoints") : context.endpoints ?? [];
        if (endpoints.length === 0) throw new CliError("error constructing client: failed to determine endpoints");
        const nodes = (this.flag<string[]>("nodes") ?? []).length > 0 ? this.flag<string[]>("nodes") : context.nodes ?? [];
        if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
        // grpc fails over between endpoints: use the first one that answers.
        let firstError: string | undefined;
        for (const e of endpoints) {
            const n = this.c.resolveAddress(e);
            const err = this.endpointError(e, n);
            if (!err && n) return { endpoint: n, nodes };
            firstError ??= err;
        }
        throw new DirectError(firstError ?? CONN_REFUSED(endpoints[0]!));
    }

    private endpointError(addr: string, n: SimNode | undefined): string | undefined {
        if (!n) return NO_ROUTE(addr.replace(/:\d+$/, ""));
        if (!this.c.reachable(n)) return CONN_REFUSED(n.ip);
        if (!n.configured) return TLS_UNKNOWN_CA;
        return undefined;
    }

    /** Error of a call proxied to `addr` through a reachable endpoint, or undefined if it can run. */
    private targetError(addr: string): { node: SimNode | undefined; error: string | undefined } {
        const n = this.c.resolveAddress(addr);
        if (!n) return { node: undefined, error: NO_ROUTE(addr) };
        if (!this.c.reachable(n)) return { node: n, error: CONN_REFUSED(n.ip) };
        if (!n.configured) return { node: n, error: TLS_UNKNOWN_CA };
        return { node: n, error: undefined };
    }

    private async callEach<T>(nodes: string[], fn: (n: SimNode, addr: string) => T | Promise<T>): Promise<Outcome<T>[]> {
        const out: Outcome<T>[] = [];
        for (const addr of nodes) {
            const { node, error } = this.targetError(addr);
            if (error || !node) {
                out.push({ addr, node, error: error ?? NO_ROUTE(addr) });
                continue;
            }
            try {
                out.push({ addr, node, value: await fn(node, addr) });
            } catch (e) {
                if (e instanceof GrpcError) out.push({ addr, node, error: e.message });
                else throw e;
            }
        }
        return out;
    }

    /** `if resp == nil { return fmt.Errorf(prefix+"%w") }; cli.Warning("%s", err)` (v1.11 one-to-many commands). */
    private warnOrFail<T>(outcomes: Outcome<T>[]): Outcome<T>[] {
        const errs = outcomes.filter((o) => o.error !== undefined);
        if (errs.length > 0) this.io.err(`WARNING: ${multierror(errs.map((o) => `${o.addr}: ${o.error}`))}`);
        return outcomes.filter((o) => o.error === undefined);
    }

    /** Return the one-to-many multierror (apply-config, reboot, reset, leave, …). */
    private failOnErrors<T>(outcomes: Outcome<T>[], prefix: string): void {
        const errs = outcomes.filter((o) => o.error !== undefined);
        if (errs.length > 0) throw new CliError(`${prefix}${multierror(errs.map((o) => `${o.addr}: ${o.error}`))}`);
    }

    /** v1.12+/v1.13 multiplex client: one client per node, errors joined as `error from node X: err`. */
    private async multiplex<T>(nodesOverride?: string[], fn?: (n: SimNode, addr: string) => T | Promise<T>, errPrefix = "error from node"): Promise<{ ok: Outcome<T>[]; errors: string[] }> {
        const tc = this.loadTalosconfig();
        if (tc.error) throw new CliError(tc.error);
        let endpointErr: string | undefined;
        let nodes: string[];
        try {
            nodes = nodesOverride ?? this.client().nodes;
        } catch (e) {
            if (!(e instanceof DirectError)) throw e;
            endpointErr = e.message;
            const context = this.contextOf(tc.cfg);
            nodes = (this.flag<string[]>("nodes") ?? []).length > 0 ? this.flag<string[]>("nodes") : context?.nodes ?? [];
        }
        const ok: Outcome<T>[] = [];
        const errors: string[] = [];
        const outcomes = endpointErr ? nodes.map((addr): Outcome<T> => ({ addr, node: undefined, error: endpointErr })) : await this.callEach(nodes, fn!);
        for (const o of outcomes) {
            if (o.error !== undefined) errors.push(`${errPrefix} ${o.addr}: ${o.error}`);
            else ok.push(o);
        }
        return { ok, errors };
    }

    private failIfMultiNodes(nodes: string[], name: string): void {
        if (nodes.length > 1) throw new CliError(`command ${goQuote(name)} is not supported with multiple nodes`);
    }

    /** helpers.ClientVersionCheck: warn when servers run an older Talos than the client. */
    private versionSkewWarning(outcomes: { addr: string; node: SimNode | undefined }[]): void {
        const client = parseSemver(this.ctx.clientVersion)!;
        const byVersion = new Map<string, string[]>();
        for (const o of outcomes) {
            if (!o.node || !this.c.reachable(o.node)) continue;
            const sv = parseSemver(o.node.version);
            if (sv && compareSemver(sv, client) < 0) byVersion.set(semverString(sv), [...(byVersion.get(semverString(sv)) ?? []), o.addr]);
        }
        for (const [v, addrs] of byVersion) this.io.err(`WARNING: ${addrs.join(", ")}: server version ${v} is older than client version ${semverString(client)}\n`);
    }

    private requireCp(n: SimNode, api: string): undefined {
        if (n.role !== "controlplane") throw new GrpcError("Unimplemented", `${api} is only available on control plane nodes`);
        return undefined;
    }

    // -----------------------------------------------------------------------------------------
    // version (SOURCES.md §1)
    // -----------------------------------------------------------------------------------------

    private versionBlock(tag: string): string {
        return `\tTag:         ${tag}\n\tSHA:         ${shaFor(tag)}\n\tBuilt:       \n\tGo version:  ${goVersionFor(tag)}\n\tOS/Arch:     linux/amd64\n`;
    }

    private async version(): Promise<void> {
        const json = this.flag<boolean>("json");
        if (!json) {
            this.io.out("Client:\n");
            this.io.out(this.flag<boolean>("short") ? `Talos ${this.ctx.clientVersion}\n` : this.versionBlock(this.ctx.clientVersion));
            if (this.flag<boolean>("client")) return;
        }
        const print = (o: Outcome<SimNode>) => {
            const n = o.value!;
            if (json) {
                this.io.out(
                    `${JSON.stringify({ metadata: { hostname: o.addr }, version: { tag: n.version, sha: shaFor(n.version), goVersion: goVersionFor(n.version), os: "linux", arch: "amd64" }, platform: { name: "metal", mode: "metal" }, features: { rbac: true } })}\n`,
                );
                return;
            }
            this.io.out(`\tNODE:        ${o.addr}\n${this.versionBlock(n.version)}\tEnabled:     RBAC\n`);
        };
        if (this.flag<boolean>("insecure")) {
            const nodes = this.flag<string[]>("nodes");
            if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
            if (!json) this.io.out("Server:\n");
            const outs = this.maintenanceCall(nodes.slice(0, 1), (n) => n);
            if (outs[0]!.error) throw new CliError(`error getting version: ${outs[0]!.error}`);
            print(outs[0]!);
            return;
        }
        if (this.minor >= 13) {
            if (!json) this.io.out("Server:\n");
            const { ok, errors } = await this.multiplex(undefined, (n) => n, "error getting version from node");
            for (const o of ok) print(o);
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        let target;
        try {
            target = this.client();
        } catch (e) {
            if (e instanceof DirectError) throw new CliError(`error getting version: ${e.message}`);
            throw e;
        }
        if (!json) this.io.out("Server:\n");
        const outs = this.warnOrFail(await this.callEach(target.nodes, (n) => n));
        for (const o of outs) print(o);
    }

    /** WithClientMaintenance: the nodes are the endpoints, no client certificate. */
    private maintenanceCall<T>(nodes: string[], fn: (n: SimNode) => T): Outcome<T>[] {
        return nodes.map((addr) => {
            const n = this.c.resolveAddress(addr);
            if (!n) return { addr, node: undefined, error: NO_ROUTE(addr) };
            if (!this.c.reachable(n)) return { addr, node: n, error: CONN_REFUSED(n.ip) };
            if (n.configured) return { addr, node: n, error: TLS_CERT_REQUIRED };
            try {
                return { addr, node: n, value: fn(n) };
            } catch (e) {
                if (e instanceof GrpcError) return { addr, node: n, error: e.message };
                throw e;
            }
        });
    }

    // -----------------------------------------------------------------------------------------
    // get (SOURCES.md §2, §12)
    // -----------------------------------------------------------------------------------------

    private resourceDefs(): ResourceDef[] {
        return RESOURCE_DEFS;
    }

    private async get(): Promise<void> {
        const [typeArg, id] = this.cmd.args as [string, string | undefined];
        const output = this.flag<string>("output");
        if (!["json", "yaml", "table"].includes(output) && !output.startsWith("jsonpath")) throw new CliError(`unknown output format: ${goQuote(output)}`);
        if (this.flag<boolean>("watch")) throw new CliError("sim: get --watch is not emulated");
        const def = this.resourceDefs().find((d) => d.aliases.includes(typeArg.toLowerCase()) || d.type.toLowerCase() === typeArg.toLowerCase());
        let outcomes: Outcome<Res[]>[];
        const list = (n: SimNode): Res[] => {
            if (!def) throw new GrpcError("Unknown", `resource ${goQuote(typeArg)} is not registered`); // guess
            const ns = this.flag<string>("namespace");
            if (ns && ns !== def.namespace) return [];
            const all = def.list(this.c, n);
            if (id === undefined) return all;
            const one = all.find((r) => r.id === id);
            if (!one) throw new GrpcError("NotFound", `resource ${def.type}(${def.namespace}/${id}@undefined) doesn't exist`);
            return [one];
        };
        if (this.flag<boolean>("insecure")) {
            const nodes = this.flag<string[]>("nodes");
            if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
            outcomes = this.maintenanceCall(nodes.slice(0, 1), (n) => {
                if (def?.sensitive) throw new GrpcError("PermissionDenied", "not authorized");
                return list(n);
            });
        } else {
            const target = this.client();
            outcomes = await this.callEach(target.nodes, (n) => list(n));
            this.versionSkewWarning(outcomes);
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
                if (output === "json") this.io.out(`${goJson({ metadata: md, node: o.addr, spec: r.spec })}\n`);
                else if (output === "yaml") {
                    if (!firstYaml) this.io.out("---\n");
                    firstYaml = false;
                    this.io.out(YAML.stringify({ node: o.addr, metadata: md, spec: r.spec }, { indent: 4 }));
                } else if (output.startsWith("jsonpath")) {
                    const expr = output.replace(/^jsonpath=?/, "").replace(/^\{|\}$/g, "").replace(/^\./, "");
                    let v: unknown = { metadata: md, node: o.addr, spec: r.spec };
                    for (const p of expr.split(".").filter(Boolean)) v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
                    this.io.out(`${typeof v === "object" ? JSON.stringify(v) : String(v ?? "")}\n`);
                } else rows.push([o.addr, def.namespace, def.display, r.id, String(r.version), ...def.columns.map((c) => c(r.spec))].join("\t"));
            }
        }
        if (output === "table") {
            const header = ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", ...def!.columnNames].join("\t");
            this.io.out(tabwrite([header, ...rows].join("\n") + "\n"));
        }
        const errs = outcomes.filter((o) => o.error !== undefined);
        if (errs.length > 0) throw new CliError(multierror(errs.map((o) => `${o.addr}: ${o.error}`)));
    }

    // -----------------------------------------------------------------------------------------
    // read (SOURCES.md §12), kubeconfig (no source: guesses, README.md)
    // -----------------------------------------------------------------------------------------

    private async read(): Promise<void> {
        const target = this.client();
        this.failIfMultiNodes(target.nodes, "read");
        const file = this.cmd.args[0]!;
        const [o] = await this.callEach(target.nodes, (n) => {
            if (file === "/proc/sys/kernel/random/boot_id") return `${n.bootId}\n`;
            if (file === "/proc/sys/kernel/hostname" || file === "/etc/hostname") return `${n.hostname}\n`;
            if (file === "/etc/os-release") return `NAME="Talos"\nID=talos\nVERSION_ID=${n.version}\nPRETTY_NAME="Talos (${n.version})"\n`;
            throw new GrpcError("Unknown", `open ${file}: no such file or directory`);
        });
        if (o!.error) throw new CliError(`error reading: ${o!.error}`);
        this.io.out(o!.value!);
    }

    private kubeconfigYaml(): string {
        const b64 = (s: string) => Buffer.from(s).toString("base64");
        const name = this.c.clusterName;
        return YAML.stringify(
            {
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name, cluster: { server: this.ctx.kubeUrl(), "certificate-authority-data": b64(this.ctx.pki.caCert) } }],
                users: [{ name: `admin@${name}`, user: { "client-certificate-data": b64(this.ctx.pki.clientCert), "client-key-data": b64(this.ctx.pki.clientKey) } }],
                contexts: [{ context: { cluster: name, namespace: "default", user: `admin@${name}` }, name: `admin@${name}` }],
                "current-context": `admin@${name}`,
            },
            { indent: 4 },
        );
    }

    private async kubeconfig(): Promise<void> {
        const target = this.client();
        this.failIfMultiNodes(target.nodes, "kubeconfig");
        let merge = this.flag<boolean>("merge");
        const force = this.flag<boolean>("force");
        const arg = this.cmd.args[0];
        if (arg === "-" && !merge && this.minor >= 13) {
            const [o] = await this.callEach(target.nodes, (n) => this.requireCp(n, "kubeconfig"));
            if (o!.error) throw new CliError(`error copying: ${o!.error}`);
            this.io.out(this.kubeconfigYaml());
            return;
        }
        let local = arg !== undefined ? this.abs(arg) : merge ? join(this.req.env["HOME"] ?? "/root", ".kube", "config") : this.req.cwd;
        const shown = arg ?? local;
        if (existsSync(local) && statSync(local).isDirectory()) local = join(local, "kubeconfig");
        else if (!existsSync(local)) mkdirSync(dirname(local), { recursive: true });
        const exists = existsSync(local);
        if (exists && !(force || merge)) throw new CliError(`kubeconfig file already exists, use --force to overwrite: ${goQuote(local === this.abs(shown) ? shown : local)}`);
        if (!exists) merge = false;
        const [o] = await this.callEach(target.nodes, (n) => this.requireCp(n, "kubeconfig"));
        if (o!.error) throw new CliError(`error copying: ${o!.error}`);
        const fresh = this.kubeconfigYaml();
        if (!merge) {
            writeFileSync(local, fresh, { mode: 0o600 });
        } else {
            writeFileSync(local, this.mergeKubeconfig(readFileSync(local, "utf8"), fresh, force, this.flag<string>("force-context-name")), { mode: 0o600 });
        }
        this.c.emit("talosctl", "kubeconfig-written", undefined, { path: local, merged: merge });
    }

    /** talos pkg/kubeconfig merge: conflicting entries renamed (non-interactive) or overwritten (--force). */
    private mergeKubeconfig(existingText: string, freshText: string, force: boolean, forceName: string): string {
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
            this.io.out(`renamed ${kind.slice(0, -1)} ${goQuote(entry.name)} -> ${goQuote(renamed)}\n`);
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

    // -----------------------------------------------------------------------------------------
    // etcd (SOURCES.md §3)
    // -----------------------------------------------------------------------------------------

    private memberRows(n: SimNode, addr: string): string[] {
        this.requireCp(n, "member list");
        if (n.etcd.state !== "running") throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
        return this.c.members.map((m) => {
            const started = this.c.memberAlive(m) || !m.learner;
            return [addr, m.id, started ? m.name : "", `https://${m.ip}:2380`, started ? `https://${m.ip}:2379` : "", String(m.learner)].join("\t");
        });
    }

    private async etcdMembers(): Promise<void> {
        if (this.minor >= 12) {
            const { ok, errors } = await this.multiplex(undefined, (n, addr) => this.memberRows(n, addr));
            this.io.out(tabwrite(["NODE\tID\tHOSTNAME\tPEER URLS\tCLIENT URLS\tLEARNER", ...ok.flatMap((o) => o.value!)].join("\n") + "\n"));
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        let target;
        try {
            target = this.client();
        } catch (e) {
            if (e instanceof DirectError) throw new CliError(`error getting members: ${e.message}`);
            throw e;
        }
        const ok = this.warnOrFail(await this.callEach(target.nodes, (n, addr) => this.memberRows(n, addr)));
        const rows = ok.flatMap((o) => o.value!);
        if (rows.length > 0) this.io.out(tabwrite(["NODE\tID\tHOSTNAME\tPEER URLS\tCLIENT URLS\tLEARNER", ...rows].join("\n") + "\n"));
    }

    private statusRow(n: SimNode, addr: string): string {
        this.requireCp(n, "etcd status");
        const m = this.c.memberOf(n);
        if (n.etcd.state !== "running" || !m) throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
        const h = createHash("sha256").update(m.id).digest();
        const dbSize = 20_000_000 + (h.readUInt32BE(0) % 20_000_000);
        const inUse = Math.floor(dbSize * (0.35 + (h[4]! % 20) / 100));
        const ratio = ((inUse / dbSize) * 100).toFixed(2);
        const raft = this.c.revision;
        const errors: string[] = [];
        const fault = this.c.faultState.etcdErrors.get(n.hostname);
        if (fault) errors.push(fault);
        if (!this.c.leader) errors.push("etcdserver: no leader");
        const cols = [addr, m.id, humanizeBytes(dbSize), `${humanizeBytes(inUse)} (${ratio}%)`, this.c.leader ?? "0000000000000000", String(raft), String(this.c.raftTerm), String(raft), String(m.learner)];
        if (this.minor >= 12) cols.push("3.6.0", "3.6.0");
        cols.push(errors.join(", "));
        return cols.join("\t");
    }

    private async etcdStatus(): Promise<void> {
        const header = this.minor >= 12
            ? "NODE\tMEMBER\tDB SIZE\tIN USE\tLEADER\tRAFT INDEX\tRAFT TERM\tRAFT APPLIED INDEX\tLEARNER\tPROTOCOL\tSTORAGE\tERRORS"
            : "NODE\tMEMBER\tDB SIZE\tIN USE\tLEADER\tRAFT INDEX\tRAFT TERM\tRAFT APPLIED INDEX\tLEARNER\tERRORS";
        if (this.minor >= 12) {
            const { ok, errors } = await this.multiplex(undefined, (n, addr) => this.statusRow(n, addr));
            this.io.out(tabwrite([header, ...ok.map((o) => o.value!)].join("\n") + "\n"));
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        let target;
        try {
            target = this.client();
        } catch (e) {
            if (e instanceof DirectError) throw new CliError(`error getting status: ${e.message}`);
            throw e;
        }
        const ok = this.warnOrFail(await this.callEach(target.nodes, (n, addr) => this.statusRow(n, addr)));
        if (ok.length > 0) this.io.out(tabwrite([header, ...ok.map((o) => o.value!)].join("\n") + "\n"));
    }

    private async etcdAlarmList(): Promise<void> {
        if (this.minor >= 12) {
            const { errors } = await this.multiplex(undefined, (n) => this.requireCp(n, "etcd alarm list"));
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        const target = this.client();
        this.warnOrFail(await this.callEach(target.nodes, (n) => this.requireCp(n, "etcd alarm list")));
    }

    /** forfeit-leadership: v1.11 returns the multierror; v1.12+ multiplex. */
    private async etcdSimple(_what: string, fn: (n: SimNode) => void): Promise<void> {
        if (this.minor >= 12) {
            const { errors } = await this.multiplex(undefined, (n) => fn(n));
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        const target = this.client();
        this.failOnErrors(await this.callEach(target.nodes, (n) => fn(n)), "");
    }

    private async etcdLeave(): Promise<void> {
        const target = this.client();
        this.failIfMultiNodes(target.nodes, "etcd leave");
        const outs = await this.callEach(target.nodes, (n) => {
            this.requireCp(n, "etcd leave");
            this.c.leaveEtcd(n, "leave");
        });
        if (this.minor >= 12) {
            if (outs[0]!.error) throw new CliError(outs[0]!.error);
            return;
        }
        this.failOnErrors(outs, "");
    }

    private async etcdRemoveMember(): Promise<void> {
        const idArg = this.cmd.args[0]!;
        if (!/^[0-9a-fA-F]{1,16}$/.test(idArg)) {
            const why = /^[0-9a-fA-F]+$/.test(idArg) ? "value out of range" : "invalid syntax";
            throw new CliError(`error parsing member ID: error parsing etcd member id: strconv.ParseUint: parsing ${goQuote(idArg)}: ${why}`);
        }
        const id = BigInt(`0x${idArg}`).toString(16).padStart(16, "0");
        const fn = (n: SimNode) => {
            this.requireCp(n, "etcd remove member");
            if (n.etcd.state !== "running") throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
            this.c.removeMember(n, id);
        };
        if (this.minor >= 12) {
            const { errors } = await this.multiplex(undefined, fn);
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        const target = this.client();
        this.failOnErrors(await this.callEach(target.nodes, fn), "");
    }

    private async etcdSnapshot(): Promise<void> {
        const target = this.client();
        this.failIfMultiNodes(target.nodes, "etcd snapshot");
        const dbPath = this.abs(this.cmd.args[0]!);
        const partPath = `${dbPath}.part`;
        try {
            writeFileSync(partPath, "", { mode: 0o600 });
        } catch (e) {
            throw new CliError(`error creating temporary file: open ${this.cmd.args[0]}.part: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
        }
        try {
            const fail = this.c.faultState.snapshotFail;
            const [o] = await this.callEach(target.nodes, (n) => {
                this.requireCp(n, "etcd snapshot");
                const m = this.c.memberOf(n);
                if (n.etcd.state !== "running" || !m) throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
                return { n, m };
            });
            if (o!.error) throw new CliError(`error reading file: ${o!.error}`);
            if (fail && fail.remaining > 0) {
                fail.remaining--;
                this.io.err(fail.message.endsWith("\n") ? fail.message : `${fail.message}\n`);
                this.c.emit("sim", "snapshot-failed", o!.node!.hostname, { message: fail.message });
                throw new CliError("", { suppress: true });
            }
            const revision = this.c.revision;
            const keys = 800 + this.c.members.length * 97 + (this.c.pods.length % 50);
            const body = Buffer.alloc(512 * (8 + (keys % 24)), 0);
            body.write(`SIMETCD\n${goJson({ revision, keys, members: this.c.members.map((x) => x.id), cluster: this.c.clusterName })}\n`);
            const sum = createHash("sha256").update(body).digest();
            const data = Buffer.concat([body, sum]);
            writeFileSync(partPath, data, { mode: 0o600 });
            renameSync(partPath, dbPath);
            const hash = sum.readUInt32BE(0).toString(16).padStart(8, "0");
            this.io.out(`etcd snapshot saved to ${goQuote(this.cmd.args[0]!)} (${data.length} bytes)\n`);
            this.io.out(`snapshot info: hash ${hash}, revision ${revision}, total keys ${keys}, total size ${body.length}\n`);
            this.c.emit("sim", "snapshot", o!.node!.hostname, { path: dbPath, size: data.length, revision });
        } finally {
            rmSync(partPath, { force: true });
        }
    }

    // -----------------------------------------------------------------------------------------
    // upgrade / reboot / shutdown / reset and the --wait tracker (SOURCES.md §4, §7, §8)
    // -----------------------------------------------------------------------------------------

    private line(addr: string, msg: string): void {
        this.io.err(`${JSON.stringify(addr)}: ${msg}\n`);
    }

    /**
     * action.NewTracker: reads the boot id, runs the action, watches the node until it is back up
     * (MachineReadyEventFn) and the post-check passes. Progress lines on stderr; on failure the
     * last line is `error: …` and the error is not printed again (SuppressErrors).
     */
    private async track(
        nodes: string[],
        action: (n: SimNode, addr: string) => void | Promise<void>,
        o: { sequence: string; done: "ready" | "stopped"; postCheck: "bootId" | "bootIdOrMaintenance" | "none" },
    ): Promise<void> {
        const timeoutMs = this.simMs("timeout");
        const deadline = Date.now() + timeoutMs;
        const results = await Promise.all(
            nodes.map(async (addr) => {
                const { node: n, error } = this.targetError(addr);
                if (error || !n) {
                    this.line(addr, `error: ${error}`);
                    return false;
                }
                const preBoot = n.bootId;
                this.line(addr, "waiting for actor ID");
                try {
                    await action(n, addr);
                } catch (e) {
                    if (e instanceof GrpcError) {
                        this.line(addr, `error: ${e.message}`);
                        return false;
                    }
                    if (e instanceof CliError) {
                        this.line(addr, `error: ${e.message}`);
                        return false;
                    }
                    throw e;
                }
                this.line(addr, `actor ID: ${uuidFrom(`actor:${n.hostname}:${this.c.events.length}`)}`);
                this.line(addr, `sequence: ${o.sequence} action: START`);
                this.line(addr, "task: stopAllServices action: START");
                const mark = this.c.events.length;
                const failure = () => this.c.events.slice(mark).find((e) => e.node === n.hostname && e.op === "reset-failed");
                const wentDown = await this.c.waitFor(() => !n.apiUp || failure() !== undefined, deadline - Date.now(), this.io.signal);
                const failed = failure();
                if (failed) {
                    this.line(addr, `sequence error: sequence failed: error running phase 2 in reset sequence: task 1/1: failed, ${String(failed.detail?.["error"])}`);
                    return false;
                }
                if (!wentDown) {
                    this.line(addr, "error: context deadline exceeded");
                    return false;
                }
                this.line(addr, "unavailable, retrying...");
                if (o.done === "stopped") return true;
                const back = await this.c.waitFor(
                    () => this.c.reachable(n) && n.bootId !== preBoot && (n.stage === "running" || (o.postCheck === "bootIdOrMaintenance" && n.stage === "maintenance")),
                    deadline - Date.now(),
                    this.io.signal,
                );
                if (!back) {
                    this.line(addr, "error: context deadline exceeded");
                    return false;
                }
                if (n.stage === "running") {
                    this.line(addr, "stage: BOOTING ready: false unmetCond: [name:\"nodeReady\" reason:\"node not ready\"]");
                    this.line(addr, "stage: RUNNING ready: true unmetCond: []");
                }
                this.line(addr, "events check condition met");
                if (o.postCheck !== "none") this.line(addr, "post check passed");
                return true;
            }),
        );
        if (results.some((r) => !r)) throw new CliError("", { suppress: true });
    }

    private rebootMode(value: string, allowed: string[], err: (v: string) => string): string {
        if (!allowed.includes(value.toLowerCase())) throw new CliError(err(value));
        return value.toLowerCase();
    }

    private async upgrade(): Promise<void> {
        const debug = this.flag<boolean>("debug");
        // v1.13's RunE also forces --wait when --drain (default true) is set, so `--wait=false`
        // alone still waits (SOURCES.md §4).
        const wait = this.flag<boolean>("wait") || debug || (this.minor >= 13 && this.flag<boolean>("drain"));
        const insecure = this.flag<boolean>("insecure");
        const image = this.flag<string>("image");
        const modes = this.minor >= 13 ? ["default", "force", "powercycle"] : this.minor === 12 ? ["default", "powercycle", "force"] : ["default", "powercycle"];
        if (wait && insecure) throw new CliError("cannot use --wait and --insecure together");
        const mode = this.rebootMode(this.flag<string>("reboot-mode"), modes, (v) => `invalid reboot mode: ${v}`);
        const stage = this.flag<boolean>("stage");
        const force = this.flag<boolean>("force");
        if (insecure) {
            const outs = this.maintenanceCall(this.flag<string[]>("nodes"), () => {
                throw new GrpcError("Unimplemented", "upgrade is not supported in maintenance mode"); // guess
            });
            this.warnOrFail(outs);
            this.io.out(tabwrite("NODE\tACK\tSTARTED\n"));
            return;
        }
        const target = this.client();
        const legacyAction = (n: SimNode) => {
            this.c.validateUpgrade(n, force);
            this.c.upgradeLegacy(n, { image, stage, force, rebootMode: mode, by: `talosctl ${this.ctx.clientVersion}` });
        };
        if (this.minor >= 13) return this.upgrade113(target.nodes, image, mode, wait, legacyAction);
        return this.upgradeLegacy(target.nodes, wait, legacyAction, false);
    }

    /**
     * MachineService.Upgrade (SOURCES.md §4): without --wait one call, a refusal as a WARNING (exit
     * 0) and the NODE ACK STARTED table of the nodes that acked; with --wait the tracker. `skewOnTrack`:
     * v1.13's tracker runs ClientVersionCheck first (the skew warning, SOURCES.md §0).
     */
    private async upgradeLegacy(nodes: string[], wait: boolean, legacyAction: (n: SimNode) => void, skewOnTrack: boolean): Promise<void> {
        if (!wait) {
            const outcomes = await this.callEach(nodes, (n) => {
                legacyAction(n);
                return n;
            });
            this.versionSkewWarning(outcomes);
            const ok = this.warnOrFail(outcomes);
            this.io.out(tabwrite(["NODE\tACK\tSTARTED", ...ok.map((o) => `${o.addr}\tUpgrade request received\t${goTimeNow()}\t`)].join("\n") + "\n"));
            return;
        }
        if (skewOnTrack) this.versionSkewWarning(nodes.map((addr) => ({ addr, node: this.c.resolveAddress(addr) })));
        await this.track(nodes, (n) => legacyAction(n), { sequence: "upgrade", done: "ready", postCheck: "bootId" });
    }

    /**
     * v1.13 `upgradeViaLifecycleService` (SOURCES.md §4). `--legacy`, or any node outside
     * `>1.13.0-alpha.2 <2.0.0`, sends the whole call down the legacy path. Otherwise, in phases over
     * every node: pull and install (streamed; each node's result reported as `<node>: upgrade
     * completed` / `<node>: upgrade failed with exit code N` on stderr, failures end the command with
     * `error during upgrade: …`, exit 1), then with --drain cordon + drain, then the reboot (fired,
     * or tracked with --wait) and, deferred, the uncordon of what was drained.
     */
    private async upgrade113(nodes: string[], image: string, mode: string, wait: boolean, legacyAction: (n: SimNode) => void): Promise<void> {
        if (this.flag<boolean>("legacy")) {
            this.io.err("WARNING: Forcing use of legacy upgrade method. This flag is deprecated and will be removed in Talos 1.18.\n");
            return this.upgradeLegacy(nodes, wait, legacyAction, true);
        }
        // helpers.TalosVersionCheck: one node outside the range is enough to fall back.
        const checked = nodes.map((addr) => ({ addr, ...this.targetError(addr) }));
        const alpha2 = parseSemver("v1.13.0-alpha.2")!;
        const newApi = (version: string) => {
            const v = parseSemver(version);
            return !!v && compareSemver(v, alpha2) > 0 && v.major < 2;
        };
        if (checked.some((o) => !o.error && o.node && !newApi(o.node.version))) {
            this.io.err("New upgrade API is not available, falling back to legacy\n"); // the reporter's plain line, no node prefix
            return this.upgradeLegacy(nodes, wait, legacyAction, true);
        }
        const unreachable = checked.filter((o) => o.error !== undefined);
        if (unreachable.length > 0) throw new CliError(`error checking Talos version compatibility: ${unreachable.map((o) => `${o.addr}: error getting server version: ${o.error}`).join("\n")}`);
        const targets = checked.map((o) => ({ addr: o.addr, n: o.node! }));

        for (const t of targets) this.io.err(`${t.addr}: pulling image ${image}\n`); // guess: the pull progress text
        const results = await Promise.all(
            targets.map(async (t): Promise<{ addr: string; code?: number; error?: string }> => {
                try {
                    return { addr: t.addr, code: await this.c.upgradeInstall(t.n, image, this.io.signal) };
                } catch (e) {
                    if (e instanceof GrpcError) return { addr: t.addr, error: e.message };
                    throw e;
                }
            }),
        );
        const errors = results.filter((r) => r.error !== undefined).map((r) => `error from node ${r.addr}: ${r.error}`);
        const finished = results.filter((r): r is { addr: string; code: number } => r.code !== undefined);
        if (finished.length > 0) this.io.err(finished.map((r) => (r.code === 0 ? `${r.addr}: upgrade completed\n` : `${r.addr}: upgrade failed with exit code ${r.code}\n`)).join(""));
        errors.push(...finished.filter((r) => r.code !== 0).map((r) => `node ${r.addr}: upgrade failed with exit code ${r.code}`));
        if (errors.length > 0) throw new CliError(`error during upgrade: ${errors.join("\n")}`);

        const drained: { n: SimNode; addr: string }[] = [];
        try {
            if (this.flag<boolean>("drain")) {
                const drainErrors = await Promise.all(
                    targets.map(async (t) => {
                        if (t.n.kube.exists) drained.push(t);
                        const err = await this.clientDrain(t.n, t.addr);
                        if (err) this.line(t.addr, `error: ${err}`);
                        return err;
                    }),
                );
                if (drainErrors.some((e) => e !== undefined)) throw new CliError("", { suppress: true });
            }
            // rebootInternal: ClientVersionCheck (directly, or as the tracker's first step), then the reboot.
            this.versionSkewWarning(targets.map((t) => ({ addr: t.addr, node: t.n })));
            const fire = (n: SimNode) => this.c.rebootForUpgrade(n, mode, "talosctl");
            if (!wait) {
                for (const t of targets) fire(t.n);
                return;
            }
            await this.track(nodes, (n) => fire(n), { sequence: "reboot", done: "ready", postCheck: "bootId" });
        } finally {
            for (const { n, addr } of drained) {
                if (n.kube.exists && n.kube.unschedulable) {
                    this.line(addr, "uncordoning node");
                    this.c.setUnschedulable(n, false, "talosctl", { by: "talosctl" });
                }
            }
        }
    }

    /** Client-side cordon + drain through the Kubernetes API (respects PDBs, retries 429). */
    private async clientDrain(n: SimNode, addr: string): Promise<string | undefined> {
        if (!n.kube.exists) return undefined;
        this.line(addr, "cordoning node");
        this.c.setUnschedulable(n, true, "talosctl", { by: "talosctl" });
        this.line(addr, "draining node");
        const deadline = Date.now() + this.simMs("drain-timeout");
        for (;;) {
            const left = this.c.pods.filter((p) => p.node === n.hostname && !p.mirror && p.owner?.kind !== "DaemonSet");
            const pending = left.filter((p) => !p.terminating);
            if (left.length === 0) return undefined;
            for (const p of pending) {
                const blocked = this.c.evictionBlocked(p);
                if (blocked) this.c.emit("talosctl", "evict-blocked", n.hostname, { pod: `${p.namespace}/${p.name}`, pdb: blocked.name });
                else this.c.evict(p, "talosctl", "talosctl");
            }
            if (Date.now() >= deadline) return `failed to drain node ${n.hostname}: context deadline exceeded`;
            await this.c.sleep(Math.min(this.c.timing.drainRetryMs, Math.max(1, deadline - Date.now())), this.io.signal);
            if (this.io.signal.aborted) return "context canceled";
        }
    }

    /**
     * v1.13 `reboot --drain`: cordon + drain, the tracked reboot (--drain forces --wait, SOURCES.md
     * §8), and the uncordon in a defer.
     */
    private async drainRebootUncordon(n: SimNode, addr: string, mode: string): Promise<boolean> {
        const cordoned = n.kube.exists;
        try {
            const err = await this.clientDrain(n, addr);
            if (err) {
                this.line(addr, `error: ${err}`);
                return false;
            }
            try {
                await this.track([addr], (node) => this.c.reboot(node, mode, "talosctl"), { sequence: "reboot", done: "ready", postCheck: "bootId" });
                return true;
            } catch {
                return false;
            }
        } finally {
            if (cordoned && n.kube.exists && n.kube.unschedulable) {
                this.line(addr, "uncordoning node");
                this.c.setUnschedulable(n, false, "talosctl", { by: "talosctl" });
            }
        }
    }

    private async rebootCmd(): Promise<void> {
        const debug = this.flag<boolean>("debug");
        const wait = this.flag<boolean>("wait") || debug;
        const modes = this.minor >= 12 ? ["default", "force", "powercycle"] : ["default", "powercycle"];
        const mode = this.rebootMode(this.flag<string>("mode"), modes, (v) => `invalid reboot mode: ${goQuote(v)}`);
        const target = this.client();
        this.versionSkewWarning(target.nodes.map((addr) => ({ addr, node: this.c.resolveAddress(addr) })));
        if (this.minor >= 13 && this.flag<boolean>("drain")) {
            const results = await Promise.all(
                target.nodes.map(async (addr) => {
                    const { node, error } = this.targetError(addr);
                    if (error || !node) {
                        this.line(addr, `error: ${error}`);
                        return false;
                    }
                    return this.drainRebootUncordon(node, addr, mode);
                }),
            );
            if (results.some((r) => !r)) throw new CliError("", { suppress: true });
            return;
        }
        if (!wait) {
            this.failOnErrors(await this.callEach(target.nodes, (n) => this.c.reboot(n, mode, "talosctl")), "error executing reboot: ");
            return;
        }
        await this.track(target.nodes, (n) => this.c.reboot(n, mode, "talosctl"), { sequence: "reboot", done: "ready", postCheck: "bootId" });
    }

    private async shutdownCmd(): Promise<void> {
        const wait = this.flag<boolean>("wait") || this.flag<boolean>("debug");
        const force = this.flag<boolean>("force");
        const target = this.client();
        if (!wait) {
            this.failOnErrors(await this.callEach(target.nodes, (n) => this.c.shutdown(n, force)), "error executing shutdown: "); // prefix: guess
            return;
        }
        await this.track(target.nodes, (n) => this.c.shutdown(n, force), { sequence: "shutdown", done: "stopped", postCheck: "none" });
    }

    private async resetCmd(): Promise<void> {
        const wait = this.flag<boolean>("wait") || this.flag<boolean>("debug");
        const graceful = this.flag<boolean>("graceful");
        const reboot = this.flag<boolean>("reboot");
        const labels = this.flag<string[]>("system-labels-to-wipe").map((l) => l.trim()).filter(Boolean);
        const known = ["STATE", "EPHEMERAL", "META"];
        const act = (n: SimNode) => {
            const bad = labels.find((l) => !known.includes(l));
            if (bad) throw new GrpcError("Unknown", `failed to get volume status with label ${goQuote(bad)}: resource VolumeStatuses.block.talos.dev(runtime/${bad}@undefined) doesn't exist`);
            this.c.reset(n, { graceful, reboot, labels, by: "talosctl" });
        };
        if (this.flag<boolean>("insecure")) {
            const outs = this.maintenanceCall(this.flag<string[]>("nodes"), (n) => {
                n.configured = false;
                this.c.reset(n, { graceful: false, reboot, labels, by: "talosctl" });
            });
            this.failOnErrors(outs, "error executing reset: ");
            return;
        }
        const target = this.client();
        this.versionSkewWarning(target.nodes.map((addr) => ({ addr, node: this.c.resolveAddress(addr) })));
        if (!wait) {
            this.failOnErrors(await this.callEach(target.nodes, act), "error executing reset: ");
            return;
        }
        await this.track(target.nodes, act, { sequence: "reset", done: reboot ? "ready" : "stopped", postCheck: reboot ? "bootIdOrMaintenance" : "none" });
    }

    // -----------------------------------------------------------------------------------------
    // apply-config (SOURCES.md §9, §10)
    // -----------------------------------------------------------------------------------------

    private async applyConfig(): Promise<void> {
        const file = this.flag<string>("file");
        if (!file) throw new CliError("no filename supplied for configuration");
        const mode = this.flag<string>("mode");
        const modes = this.minor <= 11 ? ["auto", "interactive", "no-reboot", "reboot", "staged", "try"] : ["auto", "no-reboot", "reboot", "staged", "try"];
        if (!modes.includes(mode)) throw new CliError(`invalid argument ${goQuote(mode)} for "-m, --mode" flag: must be one of ${modes.join(", ")}`); // guess (custom pflag Value)
        if (mode === "interactive") throw new CliError("interactive mode requires a terminal"); // guess
        let text: string;
        try {
            text = readFileSync(this.abs(file), "utf8");
        } catch {
            throw new CliError(`open ${file}: no such file or directory`);
        }
        const patches = this.flag<string[]>("config-patch").map((p) => (p.startsWith("@") ? readFileSync(this.abs(p.slice(1)), "utf8") : p));
        try {
            text = applyPatches(text, patches);
        } catch (e) {
            throw new CliError((e as Error).message);
        }
        const dryRun = this.flag<boolean>("dry-run");
        const tryMs = this.durationMs("timeout");
        const parse = () => {
            try {
                return parseConfig(text);
            } catch (e) {
                throw new GrpcError("InvalidArgument", (e as Error).message);
            }
        };

        if (this.flag<boolean>("insecure")) {
            const nodes = this.flag<string[]>("nodes");
            if (nodes.length === 0) throw new CliError(NODES_NOT_SET);
            // WithClientMaintenance uses the nodes as endpoints: one call, served by one of them.
            const outs = this.maintenanceCall(nodes.slice(0, 1), (n) => {
                if (!["auto", "reboot", "try"].includes(mode)) throw new GrpcError("Unimplemented", `apply configuration --mode='${mode}' is not supported in maintenance mode`);
                parse();
                if (dryRun) return "Dry run summary:\nNode is running in maintenance mode and does not have a config yet.";
                this.c.install(n, text);
                return "";
            });
            if (outs[0]!.error) throw new CliError(`error applying new configuration: ${outs[0]!.error}`);
            if (outs[0]!.value) this.io.err(`${outs[0]!.value}\n`);
            return;
        }

        const target = this.client();
        const outcomes = await this.callEach(target.nodes, (n) => {
            const next = parse();
            const cur = this.c.config(n, "active");
            const immediateErr = canApplyImmediate(cur?.v1alpha1, next.v1alpha1);
            if ((mode === "no-reboot" || mode === "try") && immediateErr) throw new GrpcError("InvalidArgument", immediateErr);
            let details = mode === "staged" ? "Staged configuration to be applied after the next reboot" : mode === "reboot" || (mode === "auto" && immediateErr) ? "Applied configuration with a reboot" : "Applied configuration without a reboot";
            if (dryRun) {
                const diff = cur && configsEqual(cur, next) ? "No changes." : unifiedDiff(n.active ?? "", text);
                return `Dry run summary:\n${details} (skipped in dry-run).\nConfig diff:\n\n${diff}`;
            }
            if (mode === "try") details += `\nThe config is applied in 'try' mode and will be automatically reverted back in ${formatGoDuration(tryMs)}`;
            this.c.applyConfig(n, text, mode as "auto", tryMs * this.c.timing.cliDurationScale);
            return mode === "auto" && immediateErr ? `${details}: ${immediateErr}` : details;
        });
        for (const o of outcomes) if (o.value !== undefined) this.io.err(`${o.value.replace(/\n$/, "")}\n`);
        this.failOnErrors(outcomes, "error applying new configuration: ");
    }

    // -----------------------------------------------------------------------------------------
    // upgrade-k8s (SOURCES.md §5)
    // -----------------------------------------------------------------------------------------

    private async upgradeK8s(): Promise<void> {
        const target = this.client();
        this.failIfMultiNodes(target.nodes, "upgrade-k8s");
        const [o] = await this.callEach(target.nodes, (n) => this.requireCp(n, "kubeconfig"));
        if (o!.error) throw new CliError(`error fetching kubeconfig: ${o!.error}`); // guess
        this.versionSkewWarning([o!]);
        const out = (s: string) => this.io.out(`${s}\n`);
        const fromFlag = this.flag<string>("from");
        const from = (fromFlag || this.c.kubernetesVersion).replace(/^v/, "");
        const to = this.flag<string>("to").replace(/^v/, "");
        if (!fromFlag) out(`automatically detected the lowest Kubernetes version ${from}`);
        const fv = parseSemver(from);
        const tv = parseSemver(to);
        if (!fv || !tv) throw new CliError(`error creating upgrade path: invalid version ${goQuote(!fv ? from : to)}`);
        const maxMinor = this.minor <= 11 ? 34 : this.minor === 12 ? 35 : 36;
        const supported = fv.major === 1 && tv.major === 1 && tv.minor - fv.minor >= 0 && tv.minor - fv.minor <= 1 && tv.minor <= maxMinor && fv.minor >= maxMinor - 5 && compareSemver(tv, fv) >= 0;
        if (!supported) throw new CliError(`unsupported upgrade path ${fv.major}.${fv.minor}->${tv.major}.${tv.minor} (from ${goQuote(from)} to ${goQuote(to)})`);
        const dry = this.flag<boolean>("dry-run");
        const nodes = [...this.c.nodes.values()].filter((n) => n.kube.exists && n.configured);
        const cps = nodes.filter((n) => n.role === "controlplane");
        const workers = nodes.filter((n) => n.role === "worker");
        out(`discovered controlplane nodes [${cps.map((n) => JSON.stringify(n.ip)).join(" ")}]`);
        out(`discovered worker nodes [${workers.map((n) => JSON.stringify(n.ip)).join(" ")}]`);
        if (!dry) this.c.emit("sim", "k8s-upgrade-started", undefined, { from, to });
        const step = () => this.c.sleep(this.c.timing.k8sStepMs, this.io.signal);
        const check = (n: SimNode) => {
            if (!this.c.reachable(n) || n.stage !== "running") throw new CliError(`error updating node ${goQuote(n.ip)}: ${CONN_REFUSED(n.ip)}`); // guess
        };
        if (this.flag<boolean>("pre-pull-images")) {
            for (const n of cps) for (const img of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) out(` > ${JSON.stringify(n.ip)}: pre-pulling registry.k8s.io/${img}:v${to}`);
            for (const n of nodes) out(` > ${JSON.stringify(n.ip)}: pre-pulling ghcr.io/siderolabs/kubelet:v${to}`);
        }
        const components: [string, "apiServer" | "controllerManager" | "scheduler"][] = [
            ["kube-apiserver", "apiServer"],
            ["kube-controller-manager", "controllerManager"],
            ["kube-scheduler", "scheduler"],
        ];
        for (const [name, key] of components) {
            out(`updating ${JSON.stringify(name)} to version ${JSON.stringify(to)}`);
            for (const n of cps) {
                check(n);
                out(` > ${JSON.stringify(n.ip)}: starting update`);
                out(` > update ${name}: ${from} -> ${to}`);
                if (dry) {
                    out(` > skipped in dry-run`);
                    continue;
                }
                this.c.patchKubernetesImages(n, to, [key]);
                out(` > ${JSON.stringify(n.ip)}: machine configuration patched`);
                out(` > ${JSON.stringify(n.ip)}: waiting for ${name} pod update`);
                await step();
                out(` < ${JSON.stringify(n.ip)}: successfully updated`);
                this.c.emit("sim", "k8s-component-upgraded", n.hostname, { component: name, version: to });
            }
            if (name === "kube-apiserver" && !dry) this.c.kubernetesVersion = to;
        }
        out(`updating kube-proxy to version ${JSON.stringify(to)}`);
        for (const n of nodes) {
            check(n);
            out(` > ${JSON.stringify(n.ip)}: starting update`);
            if (dry) {
                out(` > skipped in dry-run`);
                continue;
            }
            this.c.patchKubernetesImages(n, to, ["proxy"]);
            out(` > ${JSON.stringify(n.ip)}: machine configuration patched`);
        }
        if (this.flag<boolean>("upgrade-kubelet")) {
            out(`updating kubelet to version ${JSON.stringify(to)}`);
            for (const n of [...cps, ...workers]) {
                check(n);
                out(` > ${JSON.stringify(n.ip)}: starting update`);
                out(` > update kubelet: ${n.kube.kubeletVersion} -> ${to}`);
                if (dry) {
                    out(` > skipped in dry-run`);
                    continue;
                }
                this.c.patchKubernetesImages(n, to, ["kubelet"]);
                out(` > ${JSON.stringify(n.ip)}: machine configuration patched`);
                out(` > ${JSON.stringify(n.ip)}: waiting for kubelet restart`);
                await step();
                out(` > ${JSON.stringify(n.ip)}: waiting for node update`);
                out(` < ${JSON.stringify(n.ip)}: successfully updated`);
                this.c.emit("sim", "kubelet-upgraded", n.hostname, { version: to });
            }
        }
        out("updating manifests");
        for (const m of ["Secret bootstrap-token-simtok", "ClusterRoleBinding system-bootstrap-approve-node-client-csr", "ServiceAccount kube-system/kube-proxy", "DaemonSet kube-system/kube-proxy", "Deployment kube-system/coredns"]) {
            out(` > processing manifest ${m}`);
            out(dry ? " > apply skipped in dry run" : ` < update applied, diff:`);
        }
        if (!dry) this.c.emit("sim", "k8s-upgraded", undefined, { from, to });
    }

    // -----------------------------------------------------------------------------------------
    // service, bootstrap (SOURCES.md §6), config info (§13), health (§11)
    // -----------------------------------------------------------------------------------------

    private agoText(at: number): string {
        return `${formatGoDuration(Math.round((Date.now() - at) / 1000) * 1000)} ago`;
    }

    private async service(): Promise<void> {
        const [id, action] = this.cmd.args as [string | undefined, string | undefined];
        if (action && action !== "status") throw new CliError(`sim: service ${action} is not emulated`);
        const target = this.client();
        const outcomes = await this.callEach(target.nodes, (n) => n);
        const ok = this.warnOrFail(outcomes);
        const services = (n: SimNode) => {
            const base = ["apid", "containerd", "cri", "dashboard", "kubelet", "machined", "syslogd", "udevd"];
            return (n.role === "controlplane" ? [...base, "etcd", "trustd"] : base).sort();
        };
        const etcdView = (n: SimNode) => {
            const state = n.etcd.state === "running" ? "Running" : n.etcd.state === "stopped" ? "Finished" : "Preparing";
            const fault = this.c.faultState.etcdErrors.get(n.hostname);
            const health = n.etcd.state === "running" ? (fault ? "Fail" : "OK") : "?";
            return { state, health, fault };
        };
        if (!id) {
            const rows = ["NODE\tSERVICE\tSTATE\tHEALTH\tLAST CHANGE\tLAST EVENT"];
            for (const o of ok) {
                const n = o.value!;
                for (const s of services(n)) {
                    if (s === "etcd") {
                        const v = etcdView(n);
                        rows.push(`${o.addr}\tetcd\t${v.state}\t${v.health}\t${this.agoText(n.etcd.events[0]?.at ?? n.bootedAt)}\t${n.etcd.events[0]?.msg ?? ""}`);
                    } else rows.push(`${o.addr}\t${s}\tRunning\t${["dashboard", "machined", "syslogd"].includes(s) ? "?" : "OK"}\t${this.agoText(n.bootedAt)}\t${s === "kubelet" || s === "apid" ? "Health check successful" : "Started task"}`);
                }
            }
            this.io.out(tabwrite(rows.join("\n") + "\n"));
            return;
        }
        const blocks: string[] = [];
        const errs: string[] = [];
        for (const o of ok) {
            const n = o.value!;
            if (!services(n).includes(id)) {
                errs.push(`${o.addr}: service ${goQuote(id)} is not registered`); // guess
                continue;
            }
            const lines = [`NODE\t${o.addr}`, `ID\t${id}`];
            if (id === "etcd") {
                const v = etcdView(n);
                lines.push(`STATE\t${v.state}`, `HEALTH\t${v.health}`);
                if (v.fault) lines.push(`LAST HEALTH MESSAGE\t${v.fault}`);
                const evs = n.etcd.events.length ? n.etcd.events : [{ state: "Preparing", msg: "Running pre state", at: n.bootedAt }];
                evs.forEach((e, i) => lines.push(`${i === 0 ? "EVENTS" : ""}\t[${e.state}]: ${e.msg} (${this.agoText(e.at)})`));
            } else {
                lines.push("STATE\tRunning", "HEALTH\tOK", `EVENTS\t[Running]: Health check successful (${this.agoText(n.bootedAt)})`);
            }
            blocks.push(tabwrite(lines.join("\n") + "\n"));
        }
        this.io.out(blocks.join(""));
        if (errs.length) throw new CliError(multierror(errs));
    }

    private async bootstrap(): Promise<void> {
        const recoverFrom = this.flag<string>("recover-from");
        let recovered: { revision: number } | undefined;
        const target = this.client();
        if (recoverFrom) {
            let data: Buffer;
            try {
                data = readFileSync(this.abs(recoverFrom));
            } catch {
                throw new CliError(`open ${recoverFrom}: no such file or directory`);
            }
            const body = data.subarray(0, Math.max(0, data.length - 32));
            const sum = data.subarray(data.length - 32);
            const valid = data.length % 512 === 32 && createHash("sha256").update(body).digest().equals(sum) && body.subarray(0, 8).toString() === "SIMETCD\n";
            if (!valid && !this.flag<boolean>("recover-skip-hash-check")) throw new CliError(`snapshot file ${goQuote(recoverFrom)} is not a valid etcd snapshot: snapshot file integrity check failed`); // guess
            const meta = /"revision": (\d+)/.exec(body.toString("utf8"));
            const keys = /"keys": (\d+)/.exec(body.toString("utf8"));
            recovered = { revision: meta ? Number(meta[1]) : 1 };
            this.io.out(`recovering from snapshot ${goQuote(recoverFrom)}: hash ${sum.readUInt32BE(0).toString(16).padStart(8, "0")}, revision ${recovered.revision}, total keys ${keys ? keys[1] : 0}, total size ${body.length}\n`);
        }
        const outcomes = await this.callEach(target.nodes, (n) => this.c.bootstrap(n, recovered));
        this.failOnErrors(outcomes, "error executing bootstrap: ");
    }

    private configInfo(): void {
        const tc = this.loadTalosconfig();
        if (tc.error) throw new CliError(tc.error);
        const name = tc.cfg?.context ?? "";
        const context = this.contextOf(tc.cfg);
        if (!context) throw new CliError(`context ${goQuote(this.contextName(tc.cfg) ?? "")} is not defined`); // guess
        let roles: string[] = [];
        let certTTL = "";
        let certNotAfter = "";
        if (context.crt) {
            try {
                const cert = new X509Certificate(Buffer.from(context.crt, "base64").toString("utf8"));
                roles = cert.subject.split("\n").filter((l) => l.startsWith("O=")).map((l) => l.slice(2));
                const notAfter = new Date(cert.validTo);
                certTTL = humanizeRelTime(notAfter, new Date(), "ago", "from now");
                certNotAfter = notAfter.toISOString().slice(0, 10);
            } catch {
                throw new CliError("error parsing certificate: x509: malformed certificate"); // guess
            }
        }
        const nodes = context.nodes ?? [];
        const endpoints = context.endpoints ?? [];
        const output = this.flag<string>("output");
        const info = { context: name, nodes, endpoints, roles, certTTL, certNotAfter };
        if (output === "json") this.io.out(`${JSON.stringify(info, null, 2)}\n`);
        else if (output === "yaml") this.io.out(YAML.stringify(info));
        else if (output === "text") {
            const list = (l: string[]) => (l.length ? l.join(", ") : "not defined");
            const lines = [`Current context:     ${name}`, `Nodes:               ${list(nodes)}`, `Endpoints:           ${list(endpoints)}`];
            if (roles.length) lines.push(`Roles:               ${roles.join(", ")}`);
            if (certNotAfter) lines.push(`Certificate expires: ${certTTL} (${certNotAfter})`);
            this.io.out(lines.join("\n") + "\n");
        } else throw new CliError(`unknown output format: ${goQuote(output)}`);
    }

    /** Server-side health check: check messages on stderr, stdout empty. */
    private async health(): Promise<void> {
        if (!this.flag<boolean>("server")) throw new CliError("sim: health --server=false is not emulated");
        const target = this.client();
        this.failIfMultiNodes(target.nodes, "health");
        const [o] = await this.callEach(target.nodes, (n) => n);
        if (o!.error) throw new CliError(`error checking cluster health: ${o!.error}`); // guess
        const cpAddrs = this.flag<string[]>("control-plane-nodes");
        const wAddrs = this.flag<string[]>("worker-nodes");
        const discovered = [...this.c.nodes.values()].filter((n) => n.configured || n.kube.exists);
        const cps = cpAddrs.length ? cpAddrs.map((a) => this.c.resolveAddress(a)) : discovered.filter((n) => n.role === "controlplane");
        const workers = wAddrs.length ? wAddrs.map((a) => this.c.resolveAddress(a)) : discovered.filter((n) => n.role === "worker");
        const all = [...cps, ...workers];
        const ipOf = (n: SimNode | undefined) => n?.ip ?? "?";
        const checks: [string, () => string | undefined][] = [
            ["etcd to be healthy", () => {
                const bad = cps.filter((n) => !n || n.etcd.state !== "running" || !this.c.reachable(n) || this.c.faultState.etcdErrors.has(n.hostname));
                return bad.length ? multierror(bad.map((n) => `${ipOf(n)}: service "etcd" not in expected state "Running": current state [${n?.etcd.state === "preparing" ? "Preparing" : "Unknown"}]`)).trimEnd() : undefined;
            }],
            ["etcd members to be consistent across nodes", () => (this.c.members.length !== cps.length ? `expected ${cps.length} members, got ${this.c.members.length}` : undefined)],
            ["etcd members to be control plane nodes", () => {
                const names = new Set(cps.map((n) => n?.hostname));
                const bad = this.c.members.filter((m) => !names.has(m.name));
                return bad.length ? `etcd member ${bad[0]!.id} is not a control plane node` : undefined;
            }],
            ["apid to be ready", () => {
                const bad = all.filter((n) => !n || !this.c.reachable(n));
                return bad.length ? multierror(bad.map((n) => `${ipOf(n)}: ${CONN_REFUSED(ipOf(n))}`)).trimEnd() : undefined;
            }],
            ["all nodes memory sizes", () => undefined],
            ["all nodes disk sizes", () => undefined],
            ["no diagnostics", () => undefined],
            ["kubelet to be healthy", () => {
                const bad = all.filter((n) => !n || n.stage !== "running");
                return bad.length ? `${ipOf(bad[0])}: service "kubelet" not in expected state "Running"` : undefined;
            }],
            ["all nodes to finish boot sequence", () => {
                const bad = all.filter((n) => !n || n.stage !== "running");
                return bad.length ? `${ipOf(bad[0])}: node is not running` : undefined;
            }],
            ["all k8s nodes to report", () => {
                const bad = all.filter((n) => !n || !n.kube.exists);
                return bad.length ? `can't find expected node with IPs [${JSON.stringify(ipOf(bad[0]))}]` : undefined;
            }],
            ["all control plane static pods to be running", () => undefined],
            ["all control plane components to be ready", () => undefined],
            ["all k8s nodes to report ready", () => {
                const bad = all.filter((n) => !n || !this.c.kubeReady(n));
                return bad.length ? `some nodes are not ready: [${bad.map((n) => n?.hostname ?? "?").join(" ")}]` : undefined;
            }],
            ["kube-proxy to report ready", () => undefined],
            ["coredns to report ready", () => undefined],
            ["all k8s nodes to report schedulable", () => {
                const bad = all.filter((n) => n && n.kube.exists && n.kube.unschedulable);
                return bad.length ? `some nodes are not schedulable: [${bad.map((n) => n!.hostname).join(" ")}]` : undefined;
            }],
        ];
        const deadline = Date.now() + this.simMs("wait-timeout");
        for (const [name, fn] of checks) {
            let last: string | undefined = "";
            const ok = await this.c.waitFor(
                () => {
                    const r = fn();
                    if (r !== undefined && r !== last) {
                        this.io.err(`waiting for ${name}: ${r}\n`);
                        last = r;
                    }
                    return r === undefined;
                },
                deadline - Date.now(),
                this.io.signal,
            );
            if (!ok) throw new CliError(`healthcheck error: rpc error: code = DeadlineExceeded desc = context deadline exceeded`); // guess
            this.io.err(`waiting for ${name}: OK\n`);
        }
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
