/**
 * The rollout as a process of its own: reads a RolloutRequest as JSON on stdin, writes the
 * RolloutResult as JSON on stdout; progress goes to stderr and to the request's log file, and the
 * last stderr line of a failure starts with "rollout failed:". Nothing secret is ever printed.
 * `pulumi up` does not use it (the Rollout resource's provider, lifecycle/provider.ts, runs the
 * same runRollout inside the engine's dynamic-provider host); the tests do, to kill a run at any
 * step as a killed `pulumi up` would be, and it serves to run a rollout by hand:
 * `node -r ts-node/register/transpile-only lifecycle/cli.ts < request.json`.
 */
import { makeLog } from "./context";
import type { RolloutRequest } from "./request";
import { runRollout } from "./rollout";

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
    const request = JSON.parse(await readStdin()) as RolloutRequest;
    const log = makeLog(request.desired.cluster, request.logFile);
    try {
        const result = await runRollout(request, log);
        process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (err) {
        log(`rollout failed: ${(err as Error).message}`);
        process.exitCode = 1;
    }
}

void main();
