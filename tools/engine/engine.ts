import * as pulumi from "@pulumi/pulumi";
import type { RawConfig } from "../../stacks/config/parse";
import { OFFLINE_STAND_IN } from "../../stacks/crd-bundles";
import { emulateEngine } from "./monitor";
import { Recording, UNKNOWN } from "./recording";

/**
 * An offline engine: runs the real program under Pulumi's in-process mocks and records every
 * registration the way the engine would receive it, including the options mocks normally hide
 * (parent, dependsOn, deletedWith, protect, timeouts, ...). It behaves like the engine where the
 * mocks don't: it rejects duplicate URNs, unknown resource types and unknown invoke tokens, marks
 * `additionalSecretOutputs` secret, and fails reads of stacks that don't exist.
 *
 * The engine emulation itself is in monitor.ts. Both lean on SDK internals (the MockMonitor
 * instance, the protobuf requests, the runtime store), which is why @pulumi/pulumi is pinned
 * exactly in package.json; nothing else in the project touches them.
 */

/** Outputs of another stack, as a StackReference to it should see them. */
export interface StackOutputs {
    outputs: Record<string, unknown>;
    secretOutputNames?: string[];
}

export interface EvaluateOptions {
    project: string;
    stack: string;
    /** Defaults to "organization", what the local backend reports. */
    organization?: string;
    /** Run as `pulumi preview` (computed outputs stay unknown). */
    preview?: boolean;
    config: RawConfig;
    /** Outputs of other stacks by full name (org/project/stack); others don't exist. */
    stackReferences?: Record<string, StackOutputs>;
    /** Record into this (so a caller can inspect what happened even when the run fails). */
    recording?: Recording;
    /**
     * Answers the program's HTTP GETs (`fetch`); default: every request fails. `standIn` marks a
     * made-up body (the program then cannot check a bundle's sha256 pin against it).
     */
    network?: (url: string) => { status: number; body: string; standIn?: boolean };
    /** Environment variables the program sees while it runs (restored afterwards). */
    env?: Record<string, string>;
}

/** A stack output: its plain value and whether it is secret. */
export interface StackOutput {
    value: unknown;
    secret: boolean;
}

export interface Evaluation {
    recording: Recording;
    outputs: Record<string, StackOutput>;
}

/** Raised when the program did something the real engine would reject. */
export class EngineViolation extends Error {
    constructor(public readonly violations: string[]) {
        super(`the program did what the Pulumi engine rejects:\n${violations.map((v) => `  - ${v}`).join("\n")}`);
        this.name = "EngineViolation";
    }
}

/* eslint-disable @typescript-eslint/no-require-imports */
const stateModule = require("@pulumi/pulumi/runtime/state");
const settings = require("@pulumi/pulumi/runtime/settings");
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Runs `program` (the program's entry function) as stack `options.stack` and returns what it
 * registered and exported. Rejects with the program's own error, or with an `EngineViolation`.
 */
export async function evaluate(program: () => unknown, options: EvaluateOptions): Promise<Evaluation> {
    const recording = options.recording ?? new Recording();
    const violations: string[] = [];
    const preview = options.preview ?? false;

    await pulumi.runtime.setMocks(
        { newResource: () => ({ id: undefined, state: {} }), call: () => ({}) },
        options.project,
        options.stack,
        preview,
        options.organization ?? "organization",
    );
    pulumi.runtime.setAllConfig(options.config.values, [...options.config.secretKeys]);
    // The real engine accepts output values, which keep secretness on the exact leaf that is
    // secret (plain mocks turn this off and lift it to the whole top-level property).
    stateModule.getStore().supportsOutputValues = true;

    emulateEngine(pulumi.runtime.getMonitor() as unknown as Record<string, unknown>, {
        project: options.project,
        stack: options.stack,
        preview,
        recording,
        violations,
        stackReferences: options.stackReferences ?? {},
    });

    // Like the Pulumi language host, a rejection nobody handled fails the program instead of
    // crashing the process. (Under jest the test's `process` is a sandbox copy that never sees
    // these events; jest then reports such a rejection itself, which fails the test just as well.)
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown, promise: Promise<unknown>) => {
        unhandled.push(err);
        promise.catch(() => undefined);
    };
    // Handling them late is deliberate: no "handled asynchronously" warning for each.
    const onHandledLate = () => undefined;
    process.on("unhandledRejection", onUnhandled);
    process.on("rejectionHandled", onHandledLate);
    const restore = isolate(options);
    try {
        let exported: unknown;
        let programError: unknown;
        try {
            exported = await program();
        } catch (err) {
            programError = err;
        }
        await settings.waitForRPCs();
        // Resolve the exports even after a failure, so their rejections are observed here.
        let outputs: Record<string, StackOutput> = {};
        try {
            outputs = await resolveOutputs(exported);
        } catch (err) {
            programError ??= err;
        }
        await settings.waitForRPCs();
        // Let rejections nobody handled surface while this evaluation still owns them.
        await new Promise((resolve) => setImmediate(resolve));
        if (violations.length > 0) throw new EngineViolation(violations);
        if (programError !== undefined) throw programError;
        if (unhandled.length > 0) throw unhandled[0];
        return { recording, outputs };
    } finally {
        restore();
        process.off("unhandledRejection", onUnhandled);
        process.off("rejectionHandled", onHandledLate);
    }
}

/**
 * Gives the program the offline network and environment for the duration of a run: `fetch` is
 * answered by `options.network` (or fails), and only the given environment variables that matter
 * to the program are set, so a developer's or CI's real OP_CONNECT_TOKEN/KUBECONFIG never leaks in.
 */
function isolate(options: EvaluateOptions): () => void {
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: string | URL | Request) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        if (!options.network) throw new TypeError(`fetch failed: offline engine, no network (GET ${url})`);
        const { status, body, standIn } = options.network(url);
        const res = new Response(body, { status });
        if (standIn) Object.defineProperty(res, OFFLINE_STAND_IN, { value: true });
        return res;
    }) as typeof fetch;
    const names = ["OP_CONNECT_TOKEN", "OP_CONNECT_HOST", "OP_SERVICE_ACCOUNT_TOKEN", "KUBECONFIG", ...Object.keys(options.env ?? {})];
    const saved = new Map(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    Object.assign(process.env, options.env ?? {});
    return () => {
        globalThis.fetch = realFetch;
        for (const [n, v] of saved) {
            if (v === undefined) delete process.env[n];
            else process.env[n] = v;
        }
    };
}


async function resolveOutputs(exported: unknown): Promise<Record<string, StackOutput>> {
    const out: Record<string, StackOutput> = {};
    if (exported === null || typeof exported !== "object") return out;
    for (const [key, value] of Object.entries(exported)) {
        const o = pulumi.output(value) as pulumi.Output<unknown> & { promise(withUnknowns?: boolean): Promise<unknown> };
        // `promise(true)` (internal) resolves unknown values to a sentinel instead of never resolving.
        const [plain, secret] = await Promise.all([o.promise(true), pulumi.isSecret(o)]);
        out[key] = { value: replaceUnknowns(plain), secret };
    }
    return out;
}

function replaceUnknowns(v: unknown): unknown {
    if (pulumi.isUnknown(v)) return UNKNOWN;
    if (Array.isArray(v)) return v.map(replaceUnknowns);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceUnknowns(x)]));
    return v;
}
