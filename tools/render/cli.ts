/**
 * `npm run render -- --stack <name> [--config <stack yaml>] [--out <dir>] [--ref <stack>=<dir>]`
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
import { renderArtifacts, type Artifacts } from "./artifacts";
import { readStackFile, secretPlaceholder } from "../engine/stack-file";
import type { RawConfig } from "../../stacks/config/parse";
import { main } from "../../stacks";

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
    warnings.push("Provider-computed values (machine secrets, kubeconfig, talosconfig, 1Password items, the mesh CA) are offline fakes.");
    for (const name of Object.keys(opts.refs).sort()) warnings.push(`Rendered against the outputs of an offline render of stack ${name} (--ref ${name}=...).`);
    return renderArtifacts(opts.stack, ev, warnings);
}

/** Writes artifacts under `dir`, replacing a previous render there (only the files a render makes). */
export function writeArtifacts(dir: string, artifacts: Artifacts): void {
    for (const sub of ["talos", "helm", "manifests"]) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
    for (const [rel, content] of artifacts) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
}

async function cli(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: { stack: { type: "string" }, config: { type: "string" }, out: { type: "string" }, ref: { type: "string", multiple: true } },
        strict: true,
    });
    const stack = values.stack;
    if (!stack) throw new Error("usage: npm run render -- --stack <name> [--config <stack yaml>] [--out <dir>] [--ref <stack>=<render dir>]");
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
