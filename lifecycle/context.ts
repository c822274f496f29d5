import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { NodeTarget } from "../model";
import { credentialsFromKubeconfig } from "../readiness/kubeconfig";
import { pollUntil, type Attempt } from "../readiness/poll";
import { Kube } from "./kube";
import type { RolloutRequest } from "./request";
import { Talosctl } from "./talosctl";

/** An error that ends a wait at once: waiting longer cannot fix it (e.g. a node back on the wrong version). */
export function fatal(message: string): Error {
    return Object.assign(new Error(message), { name: "RolloutFatal" });
}

/** Progress reporting: one line per event, on stderr and in the log file. */
export type Log = (line: string) => void;

export function makeLog(cluster: string, file?: string): Log {
    if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
    return (line) => {
        const text = `${new Date().toISOString()} [${cluster}] ${line}\n`;
        process.stderr.write(text);
        if (file) fs.appendFileSync(file, text);
    };
}

/** A run's private folder: talosconfig, kubeconfig and the nodes' configurations (CA keys inside). */
export const RUN_DIR_PREFIX = "platform-rollout-";
const OWNER_FILE = "owner.pid";

/**
 * Removes the folders of runs whose process is gone: a run killed outright (SIGKILL, a second
 * Ctrl-C, a crash) cannot delete its own, and it holds an admin talosconfig and the CA keys.
 */
export function removeStaleRunDirs(tmp: string): void {
    for (const name of fs.readdirSync(tmp)) {
        if (!name.startsWith(RUN_DIR_PREFIX)) continue;
        const dir = path.join(tmp, name);
        let pid: number;
        try {
            pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
        } catch {
            continue; // not ours, or still being created
        }
        if (Number.isInteger(pid) && pid > 0 && !alive(pid)) fs.rmSync(dir, { recursive: true, force: true });
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
    }
}

/**
 * What every step of a run shares: the talosctl client (talosconfig in a private temp file), the
 * Kubernetes client (admin kubeconfig fetched through talosctl on first use), the policy, the log.
 */
export class RunContext {
    readonly talos: Talosctl;
    private kubeClient?: Kube;
    private readonly dir: string;

    constructor(
        readonly request: RolloutRequest,
        readonly log: Log,
    ) {
        removeStaleRunDirs(os.tmpdir());
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), RUN_DIR_PREFIX));
        fs.chmodSync(this.dir, 0o700);
        fs.writeFileSync(path.join(this.dir, OWNER_FILE), String(process.pid), { mode: 0o600 });
        const talosconfig = path.join(this.dir, "talosconfig");
        fs.writeFileSync(talosconfig, request.talosconfig, { mode: 0o600 });
        this.talos = new Talosctl(talosconfig, request.policy.timings.commandMs);
    }

    get policy() {
        return this.request.policy;
    }

    get timings() {
        return this.request.policy.timings;
    }

    /** Writes a node's machine configuration to a private file for `apply-config --file`. */
    configFile(node: NodeTarget): string {
        const text = this.request.configs[node.hostname];
        if (text === undefined) throw new Error(`no machine configuration was passed for ${node.hostname}`);
        const file = path.join(this.dir, `${node.hostname}.yaml`);
        fs.writeFileSync(file, text, { mode: 0o600 });
        return file;
    }

    /** The Kubernetes client, from a kubeconfig issued by the first control plane that answers. */
    async kube(controlPlanes: NodeTarget[]): Promise<Kube> {
        if (this.kubeClient) return this.kubeClient;
        const file = path.join(this.dir, "kubeconfig");
        const errors: string[] = [];
        for (const cp of controlPlanes) {
            try {
                await this.talos.kubeconfig(cp.ip, file);
                this.kubeClient = new Kube(credentialsFromKubeconfig(fs.readFileSync(file, "utf8")), this.timings.commandMs);
                return this.kubeClient;
            } catch (err) {
                errors.push((err as Error).message);
            }
        }
        throw new Error(`could not get a kubeconfig from any control plane:\n${errors.join("\n")}`);
    }

    /** Polls `check` (undefined = done, a string = why not yet) until done or the deadline. */
    async waitFor(what: string, timeoutMs: number, check: () => Promise<string | undefined>, successThreshold = 1): Promise<void> {
        await pollUntil(
            what,
            async (): Promise<Attempt<true>> => {
                try {
                    const why = await check();
                    return why === undefined ? { ok: true, value: true } : { ok: false, reason: why };
                } catch (err) {
                    return { ok: false, reason: (err as Error).message, permanent: (err as Error).name === "RolloutFatal" };
                }
            },
            { timeoutMs, intervalMs: this.timings.pollMs, successThreshold },
        );
    }

    sleep(ms: number): Promise<void> {
        return new Promise((resolve) => setTimeout(resolve, ms));
    }

    /** Removes the private files (talosconfig, kubeconfig, machine configs). */
    close(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
