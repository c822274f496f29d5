import { TalosCluster } from "../components/talos-cluster";
import { loadStackConfig } from "./config/load";
import { readUserPatches } from "./user-patches";

/**
 * The program: one cluster per stack. Pulumi calls this (index.ts exports it); the returned
 * object's properties become the stack outputs.
 */
export async function main(): Promise<Record<string, unknown>> {
    const { platform } = loadStackConfig();
    const userPatches = readUserPatches(platform);

    const cluster = new TalosCluster(platform.cluster.name, { platform, userPatches });

    return {
        kubeconfig: cluster.kubeconfig,
        talosconfig: cluster.talosconfig,
    };
}
