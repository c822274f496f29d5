import * as pulumi from "@pulumi/pulumi";
import type { RawConfig } from "../stacks/config/parse";
import { providerOutputs, invokeResult, isKnownInvoke, isKnownResourceType } from "./providers";
import { decodeWire, Recording, secretPaths, UNKNOWN, unwrapSecrets, type RecordedResource } from "./recording";

/**
 * An offline engine: runs the real program under Pulumi's in-process mocks and records every
 * registration the way the engine would receive it, including the options mocks normally hide
 * (parent, dependsOn, deletedWith, protect, timeouts, ...). It behaves like the engine where the
 * mocks don't: it rejects duplicate URNs, unknown resource types and unknown invoke tokens, marks
 * `additionalSecretOutputs` secret, and fails reads of stacks that don't exist.
 *
 * This leans on SDK internals (the MockMonitor instance and the protobuf request), which is why
 * @pulumi/pulumi is pinned exactly in package.json. Everything that touches internals is here.
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
    /** Answers the program's HTTP GETs (`fetch`); default: every request fails. */
    network?: (url: string) => { status: number; body: string };
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
const sdkDir = require.resolve("@pulumi/pulumi");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const stateModule = require("@pulumi/pulumi/runtime/state");
const settings = require("@pulumi/pulumi/runtime/settings");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDir] }));
/* eslint-enable @typescript-eslint/no-require-imports */

type Callback = (err: unknown, resp?: unknown) => void;

/**
 * Runs `program` (the program's entry function) as stack `options.stack` and returns what it
 * registered and exported. Rejects with the program's own error, or with an `EngineViolation`.
 */
export async function evaluate(program: () => unknown, options: EvaluateOptions): Promise<Evaluation> {
    const recording = options.recording ?? new Recording();
    const violations: string[] = [];
    const state = new Map<string, Record<string, unknown>>();
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

    const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, unknown>;
    const newUrn = (parent: string, type: string, name: string): string => {
        let qualified = type;
        if (parent) qualified = `${parent.split("::")[2].split("$").pop()}$${type}`;
        return `urn:pulumi:${options.stack}::${options.project}::${qualified}::${name}`;
    };

    const register = async (req: any, read: boolean): Promise<{ urn: string; id: string; object: unknown }> => {
        const type: string = req.getType();
        const name: string = req.getName();
        const urn = newUrn(req.getParent(), type, name);
        const rawInputs = decodeWire((read ? req.getProperties() : req.getObject())?.toJavaScript() ?? {}) as Record<string, unknown>;
        const custom = read ? true : (req.getCustom() as boolean);
        if (state.has(urn)) violations.push(`duplicate URN ${urn}: two resources of type ${type} are named "${name}"`);
        if (custom && !isKnownResourceType(type)) violations.push(`unknown resource type ${type} (resource "${name}")`);
        recording.add(recordOf(req, urn, type, name, custom, rawInputs, read));

        const { id, outputs } = read
            ? readStackReference(type, req.getId(), options.stackReferences ?? {})
            : providerOutputs({ type, name, inputs: rawInputs, custom, preview });
        const object: Record<string, unknown> = preview && !read ? { ...rawInputs } : { ...rawInputs, ...outputs };
        for (const key of read ? [] : (req.getAdditionalsecretoutputsList() as string[])) {
            if (key in object && secretPaths(object[key]).length === 0) object[key] = { [rpc.specialSigKey]: rpc.specialSecretSig, value: object[key] };
        }
        state.set(urn, { urn, id, state: object });
        return { urn, id, object: await rpc.serializeProperties("", toWireUnknowns(object)) };
    };

    monitor.registerResource = (req: any, callback: Callback) => {
        register(req, false).then(
            ({ urn, id, object }) => {
                const resp = new resproto.RegisterResourceResponse();
                resp.setUrn(urn);
                resp.setId(id);
                resp.setObject(structproto.Struct.fromJavaScript(object));
                callback(null, resp);
            },
            (err) => callback(rpcError(err)),
        );
    };
    monitor.readResource = (req: any, callback: Callback) => {
        register(req, true).then(
            ({ urn, object }) => {
                const resp = new resproto.ReadResourceResponse();
                resp.setUrn(urn);
                resp.setProperties(structproto.Struct.fromJavaScript(object));
                callback(null, resp);
            },
            (err) => callback(rpcError(err)),
        );
    };
    monitor.registerResourceOutputs = (req: any, callback: Callback) => {
        const entry = state.get(req.getUrn());
        if (!entry) return callback(rpcError(`unknown resource ${req.getUrn()}`));
        entry.outputs = rpc.deserializeProperties(req.getOutputs());
        callback(null, {});
    };
    monitor.invoke = (req: any, callback: Callback) => {
        (async () => {
            const token: string = req.getTok();
            const rawInputs = decodeWire(req.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>;
            if (token === "pulumi:pulumi:getResource") return [...state.values()].find((r) => r.urn === rawInputs.urn) ?? {};
            recording.invokes.push({
                token,
                rawInputs,
                inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
                provider: providerUrn(req.getProvider()),
                version: req.getVersion() || undefined,
                pluginDownloadURL: req.getPlugindownloadurl() || undefined,
            });
            if (!isKnownInvoke(token)) {
                // Recorded and reported when the run ends; answering (empty) rather than failing the
                // call keeps one bad token from cascading into unrelated rejections.
                violations.push(`unknown invoke token ${token}`);
                return {};
            }
            return invokeResult(token, rawInputs);
        })().then(
            async (result) => {
                const resp = new provproto.InvokeResponse();
                resp.setReturn(structproto.Struct.fromJavaScript(await rpc.serializeProperties("", result)));
                callback(null, resp);
            },
            (err) => callback(rpcError(err)),
        );
    };

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
        const { status, body } = options.network(url);
        return new Response(body, { status });
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

/** gRPC-style error the SDK unwraps with `err.details`. */
function rpcError(err: unknown): { code: number; details: string; message: string } {
    const message = err instanceof Error ? err.message : String(err);
    return { code: 2, details: message, message };
}

function recordOf(req: any, urn: string, type: string, name: string, custom: boolean, rawInputs: Record<string, unknown>, read: boolean): RecordedResource {
    const propertyDependencies: Record<string, string[]> = {};
    const timeouts = read ? undefined : req.getCustomtimeouts();
    if (!read) {
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
    }
    return {
        urn,
        type,
        name,
        custom,
        rawInputs,
        inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
        provider: providerUrn(req.getProvider()),
        parent: req.getParent() || undefined,
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        deletedWith: read ? undefined : req.getDeletedwith() || undefined,
        protect: read ? false : req.getProtect() === true,
        retainOnDelete: read ? false : req.getRetainondelete() === true,
        ignoreChanges: read ? [] : req.getIgnorechangesList(),
        replaceOnChanges: read ? [] : req.getReplaceonchangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        customTimeouts:
            timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
            ? {
                  ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
                  ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
                  ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
              }
            : undefined,
        aliases: read ? 0 : req.getAliasesList().length,
        version: req.getVersion() || undefined,
        pluginDownloadURL: req.getPlugindownloadurl() || undefined,
        importId: read ? req.getId() : req.getImportid() || undefined,
        read,
    };
}

/** Turns recorded unknown markers back into the wire's unknown value, so they stay unknown. */
function toWireUnknowns(v: unknown): unknown {
    if (v === UNKNOWN) return rpc.unknownValue;
    if (Array.isArray(v)) return v.map(toWireUnknowns);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWireUnknowns(x)]));
    return v;
}

/** Provider references are `<provider URN>::<provider id>`. */
function providerUrn(ref: string): string | undefined {
    if (!ref) return undefined;
    return ref.slice(0, ref.lastIndexOf("::"));
}

function readStackReference(type: string, name: string, stacks: Record<string, StackOutputs>): { id: string; outputs: Record<string, unknown> } {
    if (type !== "pulumi:pulumi:StackReference") throw new Error(`reads of ${type} are not supported offline`);
    const stack = stacks[name];
    // The engine's wording when the referenced stack does not exist.
    if (!stack) throw new Error(`unknown stack "${name}"`);
    return { id: name, outputs: { name, outputs: stack.outputs, secretOutputNames: stack.secretOutputNames ?? [] } };
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
