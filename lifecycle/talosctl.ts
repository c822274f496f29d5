import { run, type CommandResult } from "./exec";
import {
    isUnreachable,
    parseClientVersion,
    parseDryRun,
    parseEtcdMembers,
    parseEtcdStatus,
    parseJsonStream,
    parseSchematic,
    parseServerVersion,
    upgradeStarted,
    versionParts,
    type DryRunOutcome,
    type EtcdMember,
    type EtcdStatus,
} from "./talosctl-output";

/** A failed talosctl call: the command line (no secrets in it) and what talosctl said. */
export interface TalosctlError extends Error {
    name: "TalosctlError";
    unreachable: boolean;
    stderr: string;
}

function talosctlError(args: string[], result: CommandResult): TalosctlError {
    const said = args.includes("apply-config") ? applyConfigError(result) : (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-6).join("\n");
    return Object.assign(new Error(`talosctl ${args.join(" ")} failed (exit ${result.code}): ${said}`), {
        name: "TalosctlError" as const,
        unreachable: isUnreachable(result.stderr),
        stderr: result.stderr,
    });
}

/**
 * What a failed apply-config said, without the configuration: its output (stderr since v1.11,
 * stdout before, SOURCES.md §9) carries the mode details and diffs, which hold keys and tokens, and
 * a refused no-reboot apply appends the diff to the error itself. Only the error line is kept, with
 * the causes a per-node error lists under it ("1 error occurred:" then "\t* <node>: <error>"),
 * each cut before any diff.
 */
function applyConfigError(result: CommandResult): string {
    const lines = `${result.stderr}\n${result.stdout}`.split("\n");
    const at = lines.findIndex((l) => /^(error|rpc error)\b/i.test(l.trim()));
    if (at < 0) return "its output is not shown, as it holds configuration values";
    const causes: string[] = [];
    for (const line of lines.slice(at + 1)) {
        if (!line.startsWith("\t* ")) break;
        causes.push(line.slice(3));
    }
    return [lines[at]!, ...causes]
        .map((l) => l.trim().replace(/[:,]?\s*diff:.*$/is, ""))
        .join(" ")
        .slice(0, 500);
}

export function isTalosctlError(err: unknown): err is TalosctlError {
    return err instanceof Error && err.name === "TalosctlError";
}

/** The talosctl commands the rollout uses, each against one node dialled directly (-n X -e X). */
export class Talosctl {
    private installed?: Promise<string>;

    constructor(
        /** Path of a talosconfig file with the admin client certificate (0600, deleted after the run). */
        private readonly talosconfig: string,
        private readonly timeoutMs: number,
        private readonly binary = "talosctl",
    ) {}

    /** This binary's version, asked once (flags differ between minors). */
    private client(): Promise<string> {
        this.installed ??= Talosctl.clientVersion(this.binary).catch((err: unknown) => {
            this.installed = undefined;
            throw err;
        });
        return this.installed;
    }

    /** The installed client's version (`talosctl version --client --short`); needs no cluster. */
    static async clientVersion(binary = "talosctl"): Promise<string> {
        const res = await run(binary, ["version", "--client", "--short"], 30_000);
        if (res.code !== 0) throw talosctlError(["version", "--client", "--short"], res);
        return parseClientVersion(res.stdout);
    }

    private async call(ip: string, args: string[], timeoutMs = this.timeoutMs): Promise<CommandResult> {
        const full = ["--talosconfig", this.talosconfig, "-n", ip, "-e", ip, ...args];
        const res = await run(this.binary, full, timeoutMs);
        if (res.code !== 0) throw talosctlError(["-n", ip, ...args], res);
        return res;
    }

    /** The Talos version a node runs. */
    async version(ip: string): Promise<string> {
        return parseServerVersion((await this.call(ip, ["version"])).stdout);
    }

    /** The Image Factory schematic id a node runs ("" for a non-Factory image). */
    async schematic(ip: string): Promise<string> {
        return parseSchematic(parseJsonStream((await this.call(ip, ["get", "extensions", "-o", "json"])).stdout));
    }

    /** The kernel's boot id: it changes on every boot, so a reboot is proven by a new one. */
    async bootId(ip: string): Promise<string> {
        return (await this.call(ip, ["read", "/proc/sys/kernel/random/boot_id"])).stdout.trim();
    }

    /** Talos' own view: boot stage (running, booting, ...) and whether every service is up. */
    async machineStatus(ip: string): Promise<{ stage: string; ready: boolean }> {
        const [obj] = parseJsonStream((await this.call(ip, ["get", "machinestatus", "-o", "json"])).stdout) as { spec?: { stage?: string; status?: { ready?: boolean } } }[];
        return { stage: obj?.spec?.stage ?? "unknown", ready: obj?.spec?.status?.ready === true };
    }

    /**
     * Up to v1.11, talosctl reports an error of a node that answered as a WARNING and exits 0 (e.g.
     * etcd down on it): such a call is a failure all the same.
     */
    private async strictCall(ip: string, args: string[]): Promise<CommandResult> {
        const res = await this.call(ip, args);
        if (/^WARNING: \d+ errors? occurred/m.test(res.stderr)) throw talosctlError(["-n", ip, ...args], { ...res, code: 0 });
        return res;
    }

    async etcdMembers(ip: string): Promise<EtcdMember[]> {
        const members = parseEtcdMembers((await this.strictCall(ip, ["etcd", "members"])).stdout);
        if (members.length === 0) throw new Error(`talosctl -n ${ip} etcd members listed no member`);
        return members;
    }

    /**
     * etcd status of several control planes in one call, proxied through `endpoint`. Nodes that do
     * not answer are missing from the rows; what talosctl said about them comes back as `failures`
     * (up to v1.11 a WARNING with exit 0, from v1.12 "error from node ..." with exit 1).
     */
    async etcdStatus(endpoint: string, ips: string[]): Promise<{ rows: EtcdStatus[]; failures: string }> {
        const args = ["--talosconfig", this.talosconfig, "-n", ips.join(","), "-e", endpoint, "etcd", "status"];
        const res = await run(this.binary, args, this.timeoutMs);
        const rows = parseEtcdStatus(res.stdout);
        if (res.code !== 0 && rows.length === 0) throw talosctlError(["-n", ips.join(","), "etcd", "status"], res);
        return { rows, failures: res.stderr.trim() };
    }

    async forfeitLeadership(ip: string): Promise<void> {
        await this.call(ip, ["etcd", "forfeit-leadership"]);
    }

    async etcdLeave(ip: string): Promise<void> {
        await this.call(ip, ["etcd", "leave"]);
    }

    /** Removes a (dead) member by id, asking a healthy control plane. */
    async removeMember(viaIp: string, memberId: string): Promise<void> {
        await this.call(viaIp, ["etcd", "remove-member", memberId]);
    }

    async snapshot(ip: string, path: string): Promise<void> {
        await this.call(ip, ["etcd", "snapshot", path], Math.max(this.timeoutMs, 300_000));
    }

    /**
     * Starts an OS upgrade and returns once the node took it; the caller watches the node come back.
     * The rollout has cordoned and drained the node itself, so talosctl must neither drain nor
     * uncordon it, nor wait (SOURCES.md §4):
     * - Up to v1.12 (MachineService.Upgrade) `--wait=false` is one call. A refusal (e.g. Talos' own
     *   etcd checks) is a WARNING with exit 0 and an empty NODE ACK STARTED table: the upgrade
     *   started only if the node acked.
     * - A v1.13 client (LifecycleService.Upgrade) defaults `--drain` to true, and `--drain` forces
     *   `--wait` (it would cordon, drain, track the reboot and uncordon the node itself), hence
     *   `--drain=false`. It then pulls and installs inside the call (`<node>: upgrade completed`;
     *   `upgrade failed with exit code N` exits 1) and fires the reboot. A node older than
     *   1.13.0-alpha.3 gets the legacy call and its ack table instead; the flag is parsed by the
     *   client, so it is accepted there too. `--legacy` is not used: it still drains and waits
     *   unless `--drain=false`, prints its own WARNING, and goes away in Talos 1.18.
     * A version-skew WARNING alone is no refusal. `timeoutMs` bounds the call: pass the node
     * timeout, as on v1.13 it contains the image pull and the install.
     */
    async upgrade(ip: string, image: string, timeoutMs = this.timeoutMs): Promise<void> {
        const args = ["upgrade", "--image", image, "--wait=false"];
        const [major, minor] = versionParts(await this.client()) ?? [1, 0];
        if (major > 1 || minor >= 13) args.push("--drain=false");
        const res = await this.call(ip, args, timeoutMs);
        if (!upgradeStarted(ip, res.stdout, res.stderr)) throw talosctlError(["-n", ip, ...args], res);
    }

    async reboot(ip: string): Promise<void> {
        await this.call(ip, ["reboot", "--wait=false"]);
    }

    /** What applying `file` would do (dry run, mode auto): nothing, apply live, or reboot. */
    async dryRun(ip: string, file: string): Promise<DryRunOutcome> {
        const res = await this.call(ip, ["apply-config", "--file", file, "--mode", "auto", "--dry-run"]);
        return parseDryRun(`${res.stderr}\n${res.stdout}`);
    }

    async applyConfig(ip: string, file: string, mode: "no-reboot" | "staged"): Promise<void> {
        await this.call(ip, ["apply-config", "--file", file, "--mode", mode]);
    }

    /** Installs a node that waits in maintenance mode (no client certificate involved). */
    async install(ip: string, file: string): Promise<void> {
        await this.call(ip, ["apply-config", "--insecure", "--file", file, "--mode", "auto"]);
    }

    /** Wipes STATE and EPHEMERAL and reboots into maintenance mode; graceful=false after a manual etcd leave. */
    async reset(ip: string, graceful: boolean): Promise<void> {
        const res = await this.call(ip, ["reset", `--graceful=${graceful}`, "--reboot", "--system-labels-to-wipe", "STATE,EPHEMERAL", "--wait=false"]);
        // Clients newer than v1.13.0 ask for confirmation and, without a terminal, abort with exit 0.
        if (/^Abort\.?$/m.test(res.stdout)) throw new Error(`talosctl reset on ${ip} asked for confirmation and aborted; use talosctl v1.11 to v1.13`);
    }

    /** True when the node answers the maintenance API (no configuration: fresh, or reset). */
    async inMaintenance(ip: string): Promise<boolean> {
        try {
            await this.call(ip, ["version", "--insecure"]);
            return true;
        } catch {
            return false;
        }
    }

    async shutdown(ip: string): Promise<void> {
        await this.call(ip, ["shutdown", "--wait=false"]);
    }

    /** Runs `upgrade-k8s` through one control plane: every control plane, then every kubelet, then the manifests. */
    async upgradeKubernetes(cpIp: string, to: string, timeoutMs: number): Promise<string> {
        const res = await this.call(cpIp, ["upgrade-k8s", "--to", to.replace(/^v/, ""), "--with-docs=false", "--with-examples=false"], timeoutMs);
        return res.stdout;
    }

    /** The etcd service's state on a control plane (`Preparing` while it waits for a bootstrap). */
    async etcdServiceState(ip: string): Promise<string> {
        const res = await this.call(ip, ["service", "etcd"]);
        const m = /^STATE\s+(\S+)/m.exec(res.stdout);
        if (!m) throw new Error(`talosctl -n ${ip} service etcd printed no STATE:\n${res.stdout.trim()}`);
        return m[1];
    }

    /** Bootstraps etcd on one control plane from a snapshot instead of empty. */
    async recoverBootstrap(ip: string, snapshot: string): Promise<string> {
        return (await this.call(ip, ["bootstrap", "--recover-from", snapshot], Math.max(this.timeoutMs, 300_000))).stdout.trim();
    }

    /** Writes the admin kubeconfig (issued by the cluster) to `path`. */
    async kubeconfig(cpIp: string, path: string): Promise<void> {
        await this.call(cpIp, ["kubeconfig", path, "--force"]);
    }
}
