import type { StackOutputs } from "./engine";
import { invokeResult, isKnownInvoke, isKnownResourceType, providerOutputs } from "./providers";
import { decodeWire, type RecordedResource, type Recording, secretPaths, UNKNOWN, unwrapSecrets } from "./recording";

/**
 * The engine side of the offline engine: replaces the methods of Pulumi's MockMonitor instance so
 * that every request is recorded as the engine receives it (options included), answered with what
 * the providers would return, and checked the way the engine checks it. Leans on SDK internals
 * (the protobuf requests, the RPC serializers), hence the exact pin of @pulumi/pulumi.
 */

/* eslint-disable @typescript-eslint/no-require-imports */
const sdkDir = require.resolve("@pulumi/pulumi");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDir] }));
/* eslint-enable @typescript-eslint/no-require-imports */

type Callback = (err: unknown, resp?: unknown) => void;

/** What the emulated engine records into and answers from during one evaluation. */
export interface MonitorContext {
    project: string;
    stack: string;
    preview: boolean;
    recording: Recording;
    violations: string[];
    stackReferences: Record<string, StackOutputs>;
}

/** Installs the emulated engine on the active mock monitor. */
export function emulateEngine(monitor: Record<string, unknown>, ctx: MonitorContext): void {
    const state = new Map<string, Record<string, unknown>>();
    // As the SDK's createUrn: a child's type is qualified by its parent's whole type chain
    // (`grandparent$parent$child`), except that the root stack is never part of it.
    const newUrn = (parent: string, type: string, name: string): string => {
        const parentChain = parent ? parent.split("::")[2] : "pulumi:pulumi:Stack";
        const qualified = parentChain === "pulumi:pulumi:Stack" ? type : `${parentChain}$${type}`;
        return `urn:pulumi:${ctx.stack}::${ctx.project}::${qualified}::${name}`;
    };

    const register = async (req: any, read: boolean): Promise<{ urn: string; id: string; object: unknown }> => {
        const type: string = req.getType();
        const name: string = req.getName();
        const urn = newUrn(req.getParent(), type, name);
        const rawInputs = decodeWire((read ? req.getProperties() : req.getObject())?.toJavaScript() ?? {}) as Record<string, unknown>;
        const custom = read ? true : (req.getCustom() as boolean);
        if (state.has(urn)) ctx.violations.push(`duplicate URN ${urn}: two resources of type ${type} are named "${name}"`);
        if (custom && !isKnownResourceType(type)) ctx.violations.push(`unknown resource type ${type} (resource "${name}")`);
        ctx.recording.add(recordOf(req, urn, type, name, custom, rawInputs, read));

        const { id, outputs } = read
            ? readStackReference(type, req.getId(), ctx.stackReferences)
            : providerOutputs({ type, name, inputs: rawInputs, custom, preview: ctx.preview });
        const object: Record<string, unknown> = ctx.preview && !read ? { ...rawInputs } : { ...rawInputs, ...outputs };
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
            ctx.recording.invokes.push({
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
                ctx.violations.push(`unknown invoke token ${token}`);
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
        deleteBeforeReplace: read ? false : req.getDeletebeforereplace() === true,
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
