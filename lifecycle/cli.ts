/**
 * The rollout process. The Rollout resource (components/rollout.ts) starts it with
 * `node -r ts-node/register/transpile-only lifecycle/cli.ts` from the project folder, writes a
 * RolloutRequest as JSON to stdin, and reads a RolloutResult as JSON from stdout. Progress goes to
 * stderr and to the request's log file; the last stderr line of a failure starts with
 * "rollout failed:". Nothing secret is ever printed.
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
