import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { NodeTarget } from "../model";
import type { RunContext } from "./context";
import type { SnapshotRecord } from "./request";

/**
 * Takes an etcd snapshot from the first control plane that answers (preferring one that is not
 * about to be disrupted) into the snapshot folder, and records its path and sha256. A snapshot that
 * cannot be taken stops the risky step it was meant to precede.
 */
export async function takeSnapshot(ctx: RunContext, controlPlanes: NodeTarget[], before: string, avoid?: string): Promise<SnapshotRecord> {
    const dir = ctx.policy.snapshotDir;
    fs.mkdirSync(dir, { recursive: true });
    const takenAt = new Date().toISOString();
    const slug = before.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
    const file = path.join(dir, `${ctx.request.desired.cluster}-${takenAt.replace(/[:.]/g, "").replace(/-/g, "")}-${slug}.db`);
    const candidates = [...controlPlanes.filter((c) => c.hostname !== avoid), ...controlPlanes.filter((c) => c.hostname === avoid)];
    const errors: string[] = [];
    for (const cp of candidates) {
        try {
            await ctx.talos.snapshot(cp.ip, file);
            const sha256 = createHash("sha256").update(fs.readFileSync(file)).digest("hex");
            ctx.log(`etcd snapshot before ${before}: ${file} (sha256 ${sha256}, from ${cp.hostname})`);
            return { path: file, sha256, takenAt, before };
        } catch (err) {
            errors.push(`${cp.hostname}: ${(err as Error).message}`);
        }
    }
    throw new Error(`the etcd snapshot before ${before} failed, so ${before} did not start:\n${errors.join("\n")}`);
}
