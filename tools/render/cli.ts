/**
 * `npm run render -- --stack <name> [--config <stack yaml>] [--out <dir>] [--ref <stack>=<dir>] [--against <dir>]`
 *
 * Runs the real program offline (no Pulumi CLI, plugins, passphrase, cluster or network) and
 * writes what it would create into `out/<stack>/` (see README, "Reviewing a change").
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parse } from "yaml";
import { evaluate, type StackOutputs } from "../engine/engine";
import { offlineNetwork, STAND_IN_ANNOTATION } from "../engine/network";
import type { ClusterTarget } from "../../model";
import { renderArtifacts, type Artifacts } from "./artifacts";
import { planFiles } from "./plan";
import { readStackFile, secretPlaceholder } from "../engine/stack-file";
import type { RawConfig } from "../../stacks/config/parse";
import { main } from "../../stacks";
import { crdBundleSha256 } from "../../planners/charts";

export const ROOT = path.join(__dirname, "..", "..");
/** The Pulumi project name (`name:` in Pulumi.yaml). */
export const PROJECT = (parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;
/** The local backend's organization name, as StackReference names use it. */
const ORGANIZATION = "organization";

export interface RenderOptions {
    stack: string;
    config: RawConfig;
    /** Outputs of referenced stacks by short name (e.g. infra). */
    refs: Record<string, StackOutputs>;
}

/** Evaluates a stack offline and returns its artifacts. */
export async function renderStack(opts: RenderOptions): Promise<Artifacts> {
    const ev = await evaluate(main, {
        project: PROJECT,
        stack: opts.stack,
        organization: ORGANIZATION,
        config: opts.config,
        network: offlineNetwork,
        // Stands in for the deployer's 1Password Connect token (never needed offline).
        env: { OP_CONNECT_TOKEN: secretPlaceholder("OP_CONNECT_TOKEN") },
        stackReferences: Object.fromEntries(Object.entries(opts.refs).map(([name, outputs]) => [`${ORGANIZATION}/${PROJECT}/${name}`, outputs])),
    });
    const warnings: string[] = [];
    const standIns = new Set(
        ev.recording.resources
            .map((r) => (r.inputs.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[STAND_IN_ANNOTATION])
            .filter((u): u is string => u !== undefined),
    );
    if (standIns.size > 0) {
        warnings.push(`CRD bundles are offline stand-ins (real CRD names, minimal schemas); the real ones are downloaded at preview/up: ${[...standIns].sort().join(", ")}`);
    }
    const unpinned = [...standIns].filter((url) => crdBundleSha256(url) === undefined).sort();
    if (unpinned.length > 0) {
        warnings.push(`CRD bundles without a sha256 pin in planners/charts.ts, applied unverified at preview/up (which warn) until \`npm run pin-crd-bundles\` is run where GitHub is reachable: ${unpinned.join(", ")}`);
    }
    const pinned = [...standIns].filter((url) => crdBundleSha256(url) !== undefined).sort();
    if (pinned.length > 0) warnings.push(`sha256 pins not checked offline (stand-ins); preview/up check them: ${pinned.join(", ")}`);
    warnings.push("Provider-computed values (machine secrets, kubeconfig, talosconfig, 1Password items, the mesh CA) are offline fakes.");
    for (const name of Object.keys(opts.refs).sort()) warnings.push(`Rendered against the outputs of an offline render of stack ${name} (--ref ${name}=...).`);
    return renderArtifacts(opts.stack, ev, warnings);
}

/** Lists the files a render wrote, so that the next render into the folder removes exactly those. */
const MANIFEST = ".render-files";

/**
 * Writes artifacts under `dir`. The folder must be new, empty, or a previous render: then only the
 * files that render listed in its manifest are removed first. Anything else in the folder makes
 * the render refuse instead of deleting what it did not write.
 */
export function writeArtifacts(dir: string, artifacts: Artifacts): void {
    if (fs.existsSync(dir)) {
        const entries = fs.readdirSync(dir);
        const manifest = path.join(dir, MANIFEST);
        if (entries.length > 0 && !fs.existsSync(manifest)) {
            throw new Error(`--out ${dir} is not empty and holds no previous render (no ${MANIFEST}); choose a new or empty folder (nothing was written or deleted)`);
        }
        if (fs.existsSync(manifest)) {
            const previous = fs.readFileSync(manifest, "utf8").split("\n").filter(Boolean);
            for (const rel of previous) {
                const full = path.resolve(dir, rel);
                // Only files inside the folder, as listed: a tampered manifest cannot reach outside it.
                if (full.startsWith(path.resolve(dir) + path.sep)) fs.rmSync(full, { force: true });
            }
        }
    }
    for (const [rel, content] of artifacts) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    fs.writeFileSync(path.join(dir, MANIFEST), [...artifacts.keys(), MANIFEST].sort().join("\n") + "\n");
}

/** The rollout target of a previous render (`--against`), for the offline plan. */
function previousTarget(dir: string): ClusterTarget {
    const file = path.resolve(dir, "rollout.json");
    if (!fs.existsSync(file)) throw new Error(`--against ${dir}: ${file} does not exist; pass the folder of a previous render of this stack`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as ClusterTarget;
}

async function cli(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: { stack: { type: "string" }, config: { type: "string" }, out: { type: "string" }, ref: { type: "string", multiple: true }, against: { type: "string" } },
        strict: true,
    });
    const stack = values.stack;
    if (!stack) throw new Error("usage: npm run render -- --stack <name> [--config <stack yaml>] [--out <dir>] [--ref <stack>=<render dir>] [--against <previous render dir>]");
    const configFile = path.resolve(values.config ?? path.join(ROOT, `Pulumi.${stack}.yaml`));
    const outDir = path.resolve(values.out ?? path.join(ROOT, "out", stack));
    const refs: Record<string, StackOutputs> = {};
    for (const spec of values.ref ?? []) {
        const [name, dir] = spec.split("=");
        if (!name || !dir) throw new Error(`--ref takes <stack>=<render dir>, e.g. --ref infra=out/infra (got "${spec}")`);
        const file = path.resolve(dir, "stack-reference.json");
        if (!fs.existsSync(file)) throw new Error(`--ref ${spec}: ${file} does not exist; render that stack first (npm run render -- --stack ${name})`);
        refs[name] = JSON.parse(fs.readFileSync(file, "utf8")) as StackOutputs;
    }
    let artifacts: Artifacts;
    try {
        artifacts = await renderStack({ stack, config: readStackFile(configFile, PROJECT), refs });
    } catch (err) {
        const message = (err as Error).message;
        const hint = /unknown stack "[^"]*\/([^/"]+)"/.exec(message);
        throw new Error(hint ? `${message}\nOffline, render stack ${hint[1]} first and pass it: --ref ${hint[1]}=out/${hint[1]}` : message);
    }
    if (values.against) {
        const current = artifacts.get("rollout.json");
        if (!current) throw new Error(`--against: stack ${stack} renders no rollout target`);
        for (const [file, content] of planFiles(stack, previousTarget(values.against), JSON.parse(current) as ClusterTarget, values.against)) artifacts.set(file, content);
    }
    writeArtifacts(outDir, artifacts);
    process.stdout.write(`rendered stack ${stack} into ${path.relative(process.cwd(), outDir) || "."} (${artifacts.size} files)\n`);
}

if (require.main === module) {
    cli(process.argv.slice(2)).then(
        () => process.exit(0),
        (err: unknown) => {
            process.stderr.write(`render failed: ${(err as Error).message}\n`);
            process.exit(1);
        },
    );
}
