import * as pulumi from "@pulumi/pulumi";

/** A throwaway program for the engine tests: reads one output of another stack. */
export async function main(): Promise<Record<string, unknown>> {
    const ref = new pulumi.StackReference("organization/platform/infra");
    const details = await ref.getOutputDetails("endpoint");
    return { endpoint: details.value };
}
