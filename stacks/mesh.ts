import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError, Problems, type MeshFacts, type PlatformConfig } from "../model";
import { meshFacts } from "../planners/mesh";
import { checkMeshPair } from "./config/mesh-rules";

/** The shape of the mesh facts another stack exports, checked before they are trusted. */
const MeshFactsSchema = z.object({
    cluster: z.object({ name: z.string(), id: z.number() }),
    apiEndpoint: z.string(),
    nodeIps: z.object({ controlplane: z.array(z.string()), worker: z.array(z.string()) }),
    podCidr: z.string(),
    serviceCidr: z.string(),
    lbPool: z.object({ start: z.string(), stop: z.string() }),
    clustermesh: z.object({
        ip: z.string(),
        port: z.number(),
        maxConnectedClusters: z.number(),
        authMode: z.string(),
        routingMode: z.string(),
        nativeRoutingCidr: z.string(),
    }),
    meshPeers: z.array(z.object({ name: z.string(), id: z.number(), ip: z.string(), port: z.number() })),
}) satisfies z.ZodType<MeshFacts>;

/** The stack outputs that carry the facts, one per top-level key. */
export const MESH_OUTPUTS = Object.keys(MeshFactsSchema.shape) as (keyof MeshFacts)[];

/** What this stack learns from the stack that owns the mesh CA (`platform:clustermesh.caStack`). */
export interface RemoteMesh {
    /** Full name of the referenced stack. */
    stack: string;
    facts: MeshFacts;
    caCertPem: string;
    /** Secret. */
    caKeyPem: pulumi.Output<string>;
    /** The other cluster's admin kubeconfig (secret). */
    kubeconfig: pulumi.Output<string>;
}

/**
 * Reads the CA-owning stack through a StackReference and checks that the two clusters can mesh,
 * before anything is created (StackReference is a read). Runs in preview too, so a mismatch
 * fails the PR check. Undefined when this stack owns the CA itself.
 */
export async function readRemoteMesh(cfg: PlatformConfig): Promise<RemoteMesh | undefined> {
    const name = cfg.clustermesh.caStack;
    if (name === undefined) return undefined;
    const ref = new pulumi.StackReference(name);
    const wanted = [...MESH_OUTPUTS, "meshCaCertPem", "meshCaKeyPem", "kubeconfig"];
    let details: { value?: unknown; secretValue?: unknown }[];
    try {
        details = await Promise.all(wanted.map((key) => ref.getOutputDetails(key)));
    } catch (err) {
        throw new Error(
            `stack ${cfg.stack.stack} takes the mesh CA and the peer's settings from stack ${name}, which could not be read: ` +
                `${(err as Error).message}. Bring that cluster up first (pulumi up -s ${name.split("/").pop()}), ` +
                "or point platform:clustermesh.caStack at the right stack.",
        );
    }
    const value = (i: number) => details[i].value ?? details[i].secretValue;
    const missing = wanted.filter((_, i) => value(i) === undefined);
    if (missing.length > 0) {
        throw new Error(
            `stack ${name} has no output ${missing.join(", ")}: it was not brought up with this program, or with an older version of it. ` +
                `Run pulumi up -s ${name.split("/").pop()} first.`,
        );
    }
    const facts = MeshFactsSchema.safeParse(Object.fromEntries(MESH_OUTPUTS.map((key, i) => [key, value(i)])));
    if (!facts.success) throw new Error(`the outputs of stack ${name} are not in the expected shape:\n${z.prettifyError(facts.error)}`);

    const problems = new Problems();
    checkMeshPair(meshFacts(cfg), facts.data, name, problems);
    if (!problems.empty) throw new ConfigError(cfg.stack.stack, problems.list);

    const at = (key: string) => wanted.indexOf(key);
    return {
        stack: name,
        facts: facts.data,
        caCertPem: String(value(at("meshCaCertPem"))),
        // Secret whether or not the other stack marked it so.
        caKeyPem: pulumi.secret(String(value(at("meshCaKeyPem")))),
        kubeconfig: pulumi.secret(String(value(at("kubeconfig")))),
    };
}
