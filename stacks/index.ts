import { Cilium } from "../components/cilium";
import { ClusterCrds } from "../components/cluster-crds";
import { CoreAddons } from "../components/core-addons";
import { FluxHandoff } from "../components/flux";
import { OnePasswordBootstrap } from "../components/onepassword-bootstrap";
import { TalosCluster } from "../components/talos-cluster";
import { meshPeers } from "../planners/cilium-values";
import { loadStackConfig } from "./config/load";
import { fetchCrdBundles } from "./crd-bundles";
import { readUserPatches } from "./user-patches";

/**
 * The program: one cluster per stack. Pulumi calls this (index.ts exports it); the returned
 * object's properties become the stack outputs. Everything that can fail without touching a
 * cluster (config, patch files, CRD downloads) happens before the first resource is registered.
 */
export async function main(): Promise<Record<string, unknown>> {
    const { platform, secrets } = loadStackConfig();
    const userPatches = readUserPatches(platform);
    const bundles = await fetchCrdBundles(platform.crdBundles);
    const name = platform.cluster.name;

    const cluster = new TalosCluster(name, { platform, userPatches });
    // Everything below lives in the cluster: its provider, and skipped on destroy with the cluster.
    const inCluster = { providers: { kubernetes: cluster.provider } };
    const deletedWith = cluster.bootstrap;

    const crds = new ClusterCrds(`${name}-crds`, { charts: platform.charts, bundles, deletedWith }, inCluster);
    const cilium = new Cilium(
        `${name}-cilium`,
        {
            platform,
            peers: meshPeers(platform),
            kubeconfig: cluster.kubeconfig,
            // Gateway API before the operator starts; ServiceMonitor for Cilium's monitors.
            requires: [...crds.gatewayApi, crds.prometheusOperator],
            deletedWith,
        },
        inCluster,
    );
    const addons = new CoreAddons(`${name}-addons`, { platform, crds, networkReady: cilium.nodesReady, deletedWith }, inCluster);
    const onepassword = new OnePasswordBootstrap(
        `${name}-onepassword`,
        {
            platform,
            token: secrets.onepasswordToken,
            externalSecretsNamespace: addons.externalSecretsNamespace,
            fluxNamespace: addons.fluxNamespace,
            externalSecrets: addons.externalSecrets,
            deletedWith,
        },
        inCluster,
    );
    new FluxHandoff(
        `${name}-flux`,
        { platform, fluxNamespace: addons.fluxNamespace, fluxOperator: addons.fluxOperator, gitCredentials: onepassword.gitCredentialsSecret, deletedWith },
        inCluster,
    );

    return {
        kubeconfig: cluster.kubeconfig,
        talosconfig: cluster.talosconfig,
    };
}
