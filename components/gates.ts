import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { DEFAULT_TIMING, waitForApiReady } from "../readiness/api";
import { durationMs } from "../readiness/duration";
import { waitForNodesReady } from "../readiness/nodes";

/**
 * Readiness gates as resources, so the engine orders what depends on them and shows them in the
 * graph. They are dynamic resources: the engine runs `create`/`update` during `pulumi up` only,
 * never during `pulumi preview` (preview only calls `diff`, which does no I/O). A gate re-runs
 * only when its inputs change, e.g. a renewed kubeconfig; otherwise preview shows no change.
 */

interface GateInputs {
    kubeconfig: string;
    timeout: string;
    interval?: string;
    nodes?: string[];
}

function timing(inputs: GateInputs) {
    return {
        ...DEFAULT_TIMING,
        timeoutMs: durationMs(inputs.timeout),
        ...(inputs.interval ? { intervalMs: durationMs(inputs.interval) } : {}),
    };
}

/**
 * A digest of the inputs that matter, stored as an output. The engine hands `diff` the old
 * *outputs*, not the old inputs, and the kubeconfig (a credential) is not kept among the outputs;
 * the digest is. `__provider` (the serialized code) is deliberately left out.
 */
function fingerprint(inputs: GateInputs): string {
    const parts = [inputs.kubeconfig, inputs.timeout, inputs.interval ?? "", JSON.stringify(inputs.nodes ?? [])];
    return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

function diff(_id: string, olds: { fingerprint?: string }, news: GateInputs) {
    return Promise.resolve({ changes: olds.fingerprint !== fingerprint(news) });
}

const apiReadyProvider: pulumi.dynamic.ResourceProvider = {
    diff,
    async create(inputs: GateInputs) {
        const server = await waitForApiReady(inputs.kubeconfig, timing(inputs));
        return { id: server, outs: { server, fingerprint: fingerprint(inputs) } };
    },
    async update(_id: string, _olds: unknown, news: GateInputs) {
        const server = await waitForApiReady(news.kubeconfig, timing(news));
        return { outs: { server, fingerprint: fingerprint(news) } };
    },
};

const nodesReadyProvider: pulumi.dynamic.ResourceProvider = {
    diff,
    async create(inputs: GateInputs) {
        const nodes = await waitForNodesReady(inputs.kubeconfig, inputs.nodes ?? [], timing(inputs));
        return { id: nodes.join(","), outs: { nodes, fingerprint: fingerprint(inputs) } };
    },
    async update(_id: string, _olds: unknown, news: GateInputs) {
        const nodes = await waitForNodesReady(news.kubeconfig, news.nodes ?? [], timing(news));
        return { outs: { nodes, fingerprint: fingerprint(news) } };
    },
};

export interface ApiReadyArgs {
    /** Admin kubeconfig; its server, CA and client certificate are used for the probe. */
    kubeconfig: pulumi.Input<string>;
    /** How long to wait, as a Go duration (e.g. 10m). */
    timeout: pulumi.Input<string>;
    /** Pause between probes (Go duration). Default: 5s. */
    interval?: pulumi.Input<string>;
}

/** Completes once the Kubernetes API answers /readyz (authenticated) several times in a row. */
export class ApiReady extends pulumi.dynamic.Resource {
    /** The API server URL that answered. */
    declare public readonly server: pulumi.Output<string>;

    constructor(name: string, args: ApiReadyArgs, opts?: pulumi.CustomResourceOptions) {
        super(apiReadyProvider, name, { kubeconfig: pulumi.secret(args.kubeconfig), timeout: args.timeout, interval: args.interval, server: undefined }, opts);
    }
}

export interface NodesReadyArgs extends ApiReadyArgs {
    /** Node names (hostnames) that must all be Ready. */
    nodes: pulumi.Input<pulumi.Input<string>[]>;
}

/** Completes once every expected node reports Ready=True several times in a row. */
export class NodesReady extends pulumi.dynamic.Resource {
    /** The nodes found Ready. */
    declare public readonly nodes: pulumi.Output<string[]>;

    constructor(name: string, args: NodesReadyArgs, opts?: pulumi.CustomResourceOptions) {
        super(nodesReadyProvider, name, { kubeconfig: pulumi.secret(args.kubeconfig), timeout: args.timeout, interval: args.interval, nodes: args.nodes }, opts);
    }
}
