import { execFile } from "child_process";
import * as path from "path";
import { evaluate, type Evaluation, type EvaluateOptions, type StackOutputs } from "../tools/engine/engine";
import { offlineNetwork } from "../tools/engine/network";
import { readStackFile, secretPlaceholder, stackConfigFromYaml } from "../tools/engine/stack-file";
import type { RawConfig } from "../stacks/config/parse";
import { main } from "../stacks";

/**
 * Test helper: runs the real program (stacks/index.ts `main`) under the offline engine. Every
 * evaluation starts from a fresh mock monitor and the given stack configuration.
 */

export const ROOT = path.join(__dirname, "..");
export const PROJECT = "platform";

/**
 * The committed stack file of `stack` (Pulumi.<stack>.yaml) as the runtime sees it after the
 * README's credential step (`pulumi config set --secret onepassword:token ...`).
 */
export function stackConfig(stack: string): RawConfig {
    return withKeys(readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), PROJECT), { "onepassword:token": secretPlaceholder("onepassword:token") }, ["onepassword:token"]);
}

/** A stack config from YAML text in stack-file format. */
export function configFromYaml(text: string): RawConfig {
    return stackConfigFromYaml(text, PROJECT);
}

/** Replaces (or adds) whole config keys, e.g. `{"platform:addons": {spegel: false}}`. */
export function withKeys(base: RawConfig, keys: Record<string, unknown>, secretKeys: string[] = []): RawConfig {
    const values = { ...base.values };
    for (const [k, v] of Object.entries(keys)) {
        if (v === undefined) delete values[k];
        else values[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { values, secretKeys: [...base.secretKeys.filter((k) => k in values), ...secretKeys] };
}

export interface RunOptions extends Partial<Omit<EvaluateOptions, "config">> {
    config?: RawConfig;
}

/**
 * Evaluates the program as `stack` (default config: its committed stack file). When the config
 * reads another stack (`platform:clustermesh.caStack`) and no `stackReferences` are given, that
 * stack is evaluated first from its committed file and its outputs are fed to the reference, as
 * `pulumi up -s infra` then `pulumi up -s apps` would.
 */
export async function runStack(stack: string, opts: RunOptions = {}): Promise<Evaluation> {
    const config = opts.config ?? stackConfig(stack);
    const stackReferences = opts.stackReferences ?? (await referencedStacks(config));
    return evaluate(main, {
        project: PROJECT,
        stack,
        config,
        network: opts.network ?? offlineNetwork,
        stackReferences,
        ...(opts.preview !== undefined ? { preview: opts.preview } : {}),
        ...(opts.organization ? { organization: opts.organization } : {}),
        ...(opts.env ? { env: opts.env } : {}),
    });
}

async function referencedStacks(config: RawConfig): Promise<Record<string, StackOutputs>> {
    const mesh = JSON.parse(config.values["platform:clustermesh"] ?? "{}") as { caStack?: string };
    if (!mesh.caStack || mesh.caStack.includes("/")) return {};
    return { [`organization/${PROJECT}/${mesh.caStack}`]: asStackOutputs(await runStack(mesh.caStack)) };
}

/** Turns an evaluation's outputs into what a StackReference to that stack would return. */
export function asStackOutputs(ev: Evaluation): StackOutputs {
    const outputs: Record<string, unknown> = {};
    const secretOutputNames: string[] = [];
    for (const [k, o] of Object.entries(ev.outputs)) {
        outputs[k] = o.value;
        if (o.secret) secretOutputNames.push(k);
    }
    return { outputs, secretOutputNames };
}

/** Result of `evaluateInChildProcess`. */
export interface ChildEvaluation {
    ok: boolean;
    error?: string;
    outputs?: Record<string, { value: unknown; secret: boolean }>;
    resources: { type: string; name: string; read: boolean }[];
}

/**
 * Evaluates a program module in a plain Node process (see tests/support/evaluate-cli.ts). Async,
 * so local test servers in this process keep serving meanwhile.
 */
export function evaluateInChildProcess(modulePath: string, options: EvaluateOptions): Promise<ChildEvaluation> {
    return new Promise((resolve, reject) => {
        execFile(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(__dirname, "support", "evaluate-cli.ts"), modulePath, JSON.stringify(options)],
            { cwd: ROOT, encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) => {
                if (err) reject(new Error(`evaluation process failed: ${stderr || err.message}`));
                else resolve(JSON.parse(stdout) as ChildEvaluation);
            },
        );
    });
}
