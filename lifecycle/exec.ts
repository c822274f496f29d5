import { spawn } from "child_process";

/** The result of running a command to completion. */
export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs `command args` without a shell (no quoting pitfalls, nothing interpolated), with a deadline.
 * Resolves with the exit code instead of throwing, so callers decide what a failure means.
 */
export function run(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            stderr += `\n(killed after ${Math.round(timeoutMs / 1000)}s without finishing)`;
        }, timeoutMs);
        child.on("error", (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            if (err.code === "ENOENT") reject(new Error(`${command} is not installed or not on PATH`));
            else reject(err);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
        });
    });
}
