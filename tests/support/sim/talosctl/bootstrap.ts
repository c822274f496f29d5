/** `talosctl bootstrap` (SOURCES.md §6). */
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { CliError } from "../cli";
import { goQuote } from "../gofmt";
import type { Run } from "./run";

export async function bootstrap(run: Run): Promise<void> {
    const recoverFrom = run.flag<string>("recover-from");
    let recovered: { revision: number } | undefined;
    const target = run.client();
    if (recoverFrom) {
        let data: Buffer;
        try {
            data = readFileSync(run.abs(recoverFrom));
        } catch {
            throw new CliError(`open ${recoverFrom}: no such file or directory`);
        }
        const body = data.subarray(0, Math.max(0, data.length - 32));
        const sum = data.subarray(data.length - 32);
        const valid = data.length % 512 === 32 && createHash("sha256").update(body).digest().equals(sum) && body.subarray(0, 8).toString() === "SIMETCD\n";
        if (!valid && !run.flag<boolean>("recover-skip-hash-check")) throw new CliError(`snapshot file ${goQuote(recoverFrom)} is not a valid etcd snapshot: snapshot file integrity check failed`); // guess
        const meta = /"revision": (\d+)/.exec(body.toString("utf8"));
        const keys = /"keys": (\d+)/.exec(body.toString("utf8"));
        recovered = { revision: meta ? Number(meta[1]) : 1 };
        run.io.out(`recovering from snapshot ${goQuote(recoverFrom)}: hash ${sum.readUInt32BE(0).toString(16).padStart(8, "0")}, revision ${recovered.revision}, total keys ${keys ? keys[1] : 0}, total size ${body.length}\n`);
    }
    const outcomes = await run.callEach(target.nodes, (n) => run.c.bootstrap(n, recovered));
    run.failOnErrors(outcomes, "error executing bootstrap: ");
}
