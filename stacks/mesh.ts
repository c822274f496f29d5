import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkMeshPair, MESH_OUTPUTS, meshFacts, MeshFactsSchema, type MeshFacts } from "../planners/mesh";
import type { PlatformConfig } from "./config/derive";
import { ConfigError } from "./config/problems";

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

    const problems = checkMeshPair(meshFacts(cfg), facts.data, name);
    if (problems.length > 0) throw new ConfigError(cfg.stack.stack, problems);

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
