/**
 * A dynamic provider as Pulumi runs it, for real: its code serialized by the SDK in a plain Node
 * process (as the language host does at `pulumi up`; the serialize-*.ts scripts), then loaded by
 * text in another process the way the dynamic-provider host loads it (require-from-string, modules
 * resolved from @pulumi/pulumi's dynamic-provider folder) and called with what the engine passes.
 */
import { execFile, execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const HOST_DIR = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");

/** Runs tests/support/<script> (a serialize-*.ts script) with plain Node and returns what it printed. */
export function serializedBy<T>(script: string): T {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, script)], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    return JSON.parse(out) as T;
}

export type HostAnswer = { ok: boolean; result?: any; error?: string };

export interface HostCallOptions {
    /** The host process's environment (PROVIDER, METHOD and ARGS are added to it); default: this process's. */
    env?: NodeJS.ProcessEnv;
    /**
     * A second method called in the same process after the first, as the engine does when it
     * replaces a resource (create the new, delete the old).
     */
    then?: { method: string; args: unknown[] };
    /** Default 60 s. */
    timeoutMs?: number;
}

/**
 * Loads the serialized provider like the host and calls a method. Async, so that servers living in
 * this process (a test API server) keep serving meanwhile.
 */
export function callProvider(provider: string, method: string, args: unknown[], opts: HostCallOptions = {}): Promise<HostAnswer> {
    const script = `
        const requireFromString = require("require-from-string");
        const provider = requireFromString(process.env.PROVIDER, ${JSON.stringify(path.join(HOST_DIR, "index.js"))}).handler();
        const answer = (r) => ({ ok: true, result: r });
        const failed = (e) => ({ ok: false, error: String(e && e.message || e) });
        const then = ${opts.then ? `() => provider[${JSON.stringify(opts.then.method)}](...JSON.parse(process.env.THEN_ARGS))` : "undefined"};
        provider[process.env.METHOD](...JSON.parse(process.env.ARGS))
            .then((r) => (then ? then(r).then(() => answer(r)) : answer(r)), failed)
            .then((a) => process.stdout.write(JSON.stringify(a)), (e) => process.stdout.write(JSON.stringify(failed(e))));`;
    return new Promise((resolve, reject) => {
        execFile(
            process.execPath,
            ["-e", script],
            { cwd: HOST_DIR, env: { ...(opts.env ?? process.env), PROVIDER: provider, METHOD: method, ARGS: JSON.stringify(args), THEN_ARGS: JSON.stringify(opts.then?.args ?? []) }, encoding: "utf8", timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => (err ? reject(new Error(`provider host failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as HostAnswer)),
        );
    });
}
