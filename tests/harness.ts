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
 * stack's outputs from its committed file are fed to the reference, as `pulumi up -s infra` then
 * `pulumi up -s apps` would (evaluated once per test file, the first time they are needed).
 */
export async function runStack(stack: string, opts: RunOptions = {}): Promise<Evaluation> {
    const config = opts.config ?? stackConfig(stack);
    const stackReferences = opts.stackReferences ?? (await referencedStacks(config));
    const ev = await withPlainStackTraces(() =>
        evaluate(main, {
            project: PROJECT,
            stack,
            config,
            network: opts.network ?? offlineNetwork,
            stackReferences,
            ...(opts.preview !== undefined ? { preview: opts.preview } : {}),
            ...(opts.organization ? { organization: opts.organization } : {}),
            ...(opts.env ? { env: opts.env } : {}),
        }),
    );
    const plainUp = Object.keys(opts).length === 0;
    if (plainUp && !committedOutputs.has(stack)) committedOutputs.set(stack, asStackOutputs(ev));
    return ev;
}

/**
 * Runs `run` with V8's own stack-trace formatting. The Pulumi SDK formats a stack trace for every
 * promise and resource it creates; under jest each of those goes through jest's source-mapping
 * formatter (which errors from the test's realm fall back to), a third of an evaluation's time.
 * Errors raised meanwhile keep their messages; only their frames stay at transpiled positions.
 */
export async function withPlainStackTraces<T>(run: () => Promise<T>): Promise<T> {
    const saved = Error.prepareStackTrace;
    Error.prepareStackTrace = (error, frames) => [Error.prototype.toString.call(error), ...frames.map((f) => `    at ${f}`)].join("\n");
    try {
        return await run();
    } finally {
        Error.prepareStackTrace = saved;
    }
}

/**
 * Outputs of stacks already brought up (in this test file) from their committed stack file, as a
 * later StackReference to them reads them. Evaluations are deterministic (tests/stacks.test.ts),
 * so a second `pulumi up -s infra` would export the same.
 */
const committedOutputs = new Map<string, StackOutputs>();

async function referencedStacks(config: RawConfig): Promise<Record<string, StackOutputs>> {
    const mesh = JSON.parse(config.values["platform:clustermesh"] ?? "{}") as { caStack?: string };
    if (!mesh.caStack || mesh.caStack.includes("/")) return {};
    if (!committedOutputs.has(mesh.caStack)) await runStack(mesh.caStack);
    return { [`organization/${PROJECT}/${mesh.caStack}`]: JSON.parse(JSON.stringify(committedOutputs.get(mesh.caStack))) as StackOutputs };
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
