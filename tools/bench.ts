/**
 * `npm run bench`: renders each stack several times (evaluation plus writing the files) and prints
 * the median wall time per stack, with the modelled critical-path ratio. A benchmark, not a test:
 * it fails nothing; the target is under 5 s per stack on a 2-core machine.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CriticalPath } from "../offline/critical-path";
import type { StackOutputs } from "../offline/engine";
import { readStackFile } from "../offline/stack-file";
import { PROJECT, renderStack, ROOT, writeArtifacts } from "./render";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function bench(stack: string, refs: Record<string, StackOutputs>): Promise<StackOutputs> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${stack}-`));
    const config = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), PROJECT);
    const times: number[] = [];
    let artifacts = new Map<string, string>();
    for (let i = 0; i < RUNS; i++) {
        const started = process.hrtime.bigint();
        artifacts = await renderStack({ stack, config, refs });
        writeArtifacts(dir, artifacts);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const cp = JSON.parse(artifacts.get("critical-path.json")!) as CriticalPath;
    const fmt = (s: number) => `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
    process.stdout.write(
        `${stack.padEnd(6)} median ${median.toFixed(0)} ms over ${RUNS} renders (min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}); ` +
            `modelled critical path ${fmt(cp.criticalPathSeconds)} of ${fmt(cp.serialSeconds)} serial, ratio ${cp.ratio}\n`,
    );
    return JSON.parse(artifacts.get("stack-reference.json")!) as StackOutputs;
}

void (async () => {
    process.stdout.write(`node ${process.version}, ${os.cpus().length} CPUs\n`);
    const infra = await bench("infra", {});
    await bench("apps", { infra });
    process.exit(0);
})();
