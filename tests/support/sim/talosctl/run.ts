/**
 * One talosctl invocation (`Run`): its parsed flags and the client plumbing every command shares
 * (GlobalArgs.WithClient / WithClientMaintenance; SOURCES.md §0): the talosconfig, endpoints and
 * nodes, one call per node, the v1.11 and the v1.12+ (multiplex) ways of reporting per-node errors,
 * the version-skew warning, and the errors of a call that cannot reach its node.
 */
import { readFileSync } from "fs";
import { isAbsolute, join, resolve as resolvePath } from "path";
import YAML from "yaml";
import { CliError, type ParsedCommand } from "../cli";
import { GrpcError, type Cluster, type SimNode } from "../cluster";
import { compareSemver, goQuote, multierror, parseGoDuration, parseSemver, semverString } from "../gofmt";
import { ConfigError } from "../machineconfig";
import type { SimPki } from "../pki";
import type { Invocation } from "../types";

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

export const CONN_REFUSED = (addr: string) => `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${addr}:50000: connect: connection refused"`;
const NO_ROUTE = (addr: string) => `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${addr}:50000: connect: no route to host"`;
const TLS_UNKNOWN_CA = `rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`;
const TLS_CERT_REQUIRED = `rpc error: code = Unavailable desc = connection error: desc = "error reading server preface: remote error: tls: certificate required"`;

export const NODES_NOT_SET = "nodes are not set for the command: please use `--nodes` flag or configuration file to set the nodes to run the command against";

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

export interface Outcome<T> {
    addr: string;
    node: SimNode | undefined;
    value?: T;
    error?: string;
}

/** Whole-call failure: the endpoint could not be reached (no per-node response at all). */
export class DirectError extends Error {}

/** A command: runs to the end or throws CliError, DirectError, GrpcError or ConfigError (exit 1). */
export type Command = (run: Run) => void | Promise<void>;

/** talosctl main(): the error, then (if it mentions arg(s)/flag/command) a blank line and usage. */
export function printError(io: TalosctlIO, message: string, usage: string): void {
    io.err(`${message}\n`);
    if (message.includes("arg(s)") || message.includes("flag") || message.includes("command")) io.err(`\n${usage}\n`);
}

export class Run {
    readonly c: Cluster;
    readonly path: string;
    private readonly f: Record<string, unknown>;
    private talosconfigCache: { path: string; cfg?: Talosconfig; error?: string } | undefined;

    constructor(
        readonly ctx: TalosctlContext,
        readonly req: TalosctlRequest,
        readonly io: TalosctlIO,
        readonly cmd: ParsedCommand,
        readonly minor: number,
    ) {
        this.c = ctx.cluster;
        this.path = cmd.path.join(" ");
        this.f = cmd.flags;
    }

    flag<T>(name: string): T {
        return this.f[name] as T;
    }

    durationMs(name: string): number {
        return parseGoDuration(this.flag<string>(name));
    }

    /** A command-line duration converted to compressed sim time. */
    simMs(name: string): number {
        return this.durationMs(name) * this.c.timing.cliDurationScale;
    }

    /** Runs `command` (undefined: a command of the tree the sim does not emulate); returns the exit code. */
    async execute(command: Command | undefined): Promise<number> {
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
            if (!command) throw new CliError(`sim: "talosctl ${this.path}" is not emulated`);
            await command(this);
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

    // -----------------------------------------------------------------------------------------
    // Client plumbing (GlobalArgs.WithClient / WithClientMaintenance; SOURCES.md §0)
    // -----------------------------------------------------------------------------------------

    abs(p: string): string {
        return isAbsolute(p) ? p : resolvePath(this.req.cwd, p);
    }

    loadTalosconfig(): { path: string; cfg?: Talosconfig; error?: string } {
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

    contextName(cfg: Talosconfig | undefined): string | undefined {
        return this.flag<string>("context") || cfg?.context;
    }

    contextOf(cfg: Talosconfig | undefined): TalosconfigContext | undefined {
        const name = this.contextName(cfg);
        return name ? cfg?.contexts?.[name] : undefined;
    }

    /** Endpoints and nodes for a secure (talosconfig) client; throws like talosctl. */
    client(): { endpoint: SimNode; nodes: string[] } {
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
    targetError(addr: string): { node: SimNode | undefined; error: string | undefined } {
        const n = this.c.resolveAddress(addr);
        if (!n) return { node: undefined, error: NO_ROUTE(addr) };
        if (!this.c.reachable(n)) return { node: n, error: CONN_REFUSED(n.ip) };
        if (!n.configured) return { node: n, error: TLS_UNKNOWN_CA };
        return { node: n, error: undefined };
    }

    async callEach<T>(nodes: string[], fn: (n: SimNode, addr: string) => T | Promise<T>): Promise<Outcome<T>[]> {
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
    warnOrFail<T>(outcomes: Outcome<T>[]): Outcome<T>[] {
        const errs = outcomes.filter((o) => o.error !== undefined);
        if (errs.length > 0) this.io.err(`WARNING: ${multierror(errs.map((o) => `${o.addr}: ${o.error}`))}`);
        return outcomes.filter((o) => o.error === undefined);
    }

    /** Return the one-to-many multierror (apply-config, reboot, reset, leave, …). */
    failOnErrors<T>(outcomes: Outcome<T>[], prefix: string): void {
        const errs = outcomes.filter((o) => o.error !== undefined);
        if (errs.length > 0) throw new CliError(`${prefix}${multierror(errs.map((o) => `${o.addr}: ${o.error}`))}`);
    }

    /** v1.12+/v1.13 multiplex client: one client per node, errors joined as `error from node X: err`. */
    async multiplex<T>(nodesOverride?: string[], fn?: (n: SimNode, addr: string) => T | Promise<T>, errPrefix = "error from node"): Promise<{ ok: Outcome<T>[]; errors: string[] }> {
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

    failIfMultiNodes(nodes: string[], name: string): void {
        if (nodes.length > 1) throw new CliError(`command ${goQuote(name)} is not supported with multiple nodes`);
    }

    /** helpers.ClientVersionCheck: warn when servers run an older Talos than the client. */
    versionSkewWarning(outcomes: { addr: string; node: SimNode | undefined }[]): void {
        const client = parseSemver(this.ctx.clientVersion)!;
        const byVersion = new Map<string, string[]>();
        for (const o of outcomes) {
            if (!o.node || !this.c.reachable(o.node)) continue;
            const sv = parseSemver(o.node.version);
            if (sv && compareSemver(sv, client) < 0) byVersion.set(semverString(sv), [...(byVersion.get(semverString(sv)) ?? []), o.addr]);
        }
        for (const [v, addrs] of byVersion) this.io.err(`WARNING: ${addrs.join(", ")}: server version ${v} is older than client version ${semverString(client)}\n`);
    }

    requireCp(n: SimNode, api: string): undefined {
        if (n.role !== "controlplane") throw new GrpcError("Unimplemented", `${api} is only available on control plane nodes`);
        return undefined;
    }

    /** WithClientMaintenance: the nodes are the endpoints, no client certificate. */
    maintenanceCall<T>(nodes: string[], fn: (n: SimNode) => T): Outcome<T>[] {
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

    /**
     * A one-to-many read (version, etcd members, etcd status). From client minor `multiplexFrom` on,
     * through the multiplex client: `print` gets the answers, then the per-node errors
     * (`<errPrefix> <node>: …`) fail the command. Before it, through one client: an unreachable
     * endpoint fails as `error getting <what>: …`, per-node errors are only a WARNING (exit 0), and
     * `print` gets the answers. `beforeCalls` runs once the client is chosen (v1.11: reached).
     */
    async readEach<T>(
        o: { what: string; multiplexFrom: number; errPrefix?: string; beforeCalls?: () => void },
        fn: (n: SimNode, addr: string) => T,
        print: (ok: Outcome<T>[], multiplexed: boolean) => void,
    ): Promise<void> {
        if (this.minor >= o.multiplexFrom) {
            o.beforeCalls?.();
            const { ok, errors } = await this.multiplex(undefined, fn, o.errPrefix);
            print(ok, true);
            if (errors.length) throw new CliError(errors.join("\n"));
            return;
        }
        let target;
        try {
            target = this.client();
        } catch (e) {
            if (e instanceof DirectError) throw new CliError(`error getting ${o.what}: ${e.message}`);
            throw e;
        }
        o.beforeCalls?.();
        print(this.warnOrFail(await this.callEach(target.nodes, fn)), false);
    }

    /** A progress line (the `--wait` tracker, the v1.13 drain) on stderr: `"<node>": <msg>`. */
    line(addr: string, msg: string): void {
        this.io.err(`${JSON.stringify(addr)}: ${msg}\n`);
    }

    /** A reboot mode flag value (upgrade `--reboot-mode`, reboot `--mode`), case-insensitive. */
    rebootMode(value: string, allowed: string[], err: (v: string) => string): string {
        if (!allowed.includes(value.toLowerCase())) throw new CliError(err(value));
        return value.toLowerCase();
    }
}
