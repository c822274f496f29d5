import * as op from "@1password/pulumi-onepassword";
import * as pulumi from "@pulumi/pulumi";
import { Cilium } from "../components/cilium";
import { ClusterCrds } from "../components/cluster-crds";
import { CoreAddons } from "../components/core-addons";
import { FluxHandoff } from "../components/flux";
import { MeshCa } from "../components/mesh-ca";
import { OnePasswordBootstrap } from "../components/onepassword-bootstrap";
import { SecretsBackup } from "../components/secrets-backup";
import { prepareSecretsImport } from "../components/secrets-import";
import { TalosCluster } from "../components/talos-cluster";
import { meshPeers } from "../planners/cilium-values";
import { clusterSettings } from "../planners/cluster-settings";
import { mergeKubeconfigs } from "../planners/kubeconfig";
import { meshFacts } from "../planners/mesh";
import { loadStackConfig } from "./config/load";
import { fetchCrdBundles } from "./crd-bundles";
import { readRemoteMesh } from "./mesh";

const base64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * The program: one cluster per stack. Pulumi calls this (index.ts exports it); the returned
 * object's properties become the stack outputs. Everything that can fail without touching a
 * cluster (config, patch files, the other stack of the mesh, CRD downloads) happens before the
 * first resource is registered.
 */
export async function main(): Promise<Record<string, unknown>> {
    const { platform, secrets, userPatches } = loadStackConfig();
    const remote = await readRemoteMesh(platform);
    const bundles = await fetchCrdBundles(platform.crdBundles);
    const name = platform.cluster.name;

    // 1Password Connect, for the bootstrap secrets and the backup of the machine secrets.
    const onepasswordProvider = new op.Provider(`${name}-onepassword-connect`, { url: platform.onepassword.providerUrl, token: pulumi.secret(secrets.onepasswordToken) });
    const backupItem = platform.talos.secrets.backup;
    // Re-creating a lost stack: the machine secrets come from their backup, imported, not generated.
    const restored = platform.talos.secrets.import ? await prepareSecretsImport(backupItem, { provider: onepasswordProvider, expectCluster: name }) : undefined;

    const cluster = new TalosCluster(name, {
        cluster: platform.cluster,
        versions: platform.versions,
        nodes: platform.nodes,
        talos: platform.talos,
        patches: { network: platform.network, apiHost: platform.cluster.apiHost, spegel: platform.addons.spegel },
        userPatches,
        ...(restored ? { secretsImportFile: restored.path } : {}),
    });
    const backup = new SecretsBackup(`${name}-secrets-backup`, {
        machineSecrets: cluster.machineSecrets,
        item: backupItem,
        clusterName: name,
        talosVersion: platform.versions.talosContract,
        provider: onepasswordProvider,
        ...(restored?.itemId ? { adoptItemId: restored.itemId } : {}),
    });
    // Everything below lives in the cluster: its provider, and skipped on destroy with the cluster.
    const inCluster = { providers: { kubernetes: cluster.provider } };
    const deletedWith = cluster.bootstrap;

    // The shared mesh CA: created here, or read from the stack that owns it.
    const ownCa = remote ? undefined : new MeshCa(`${name}-mesh-ca`, { clusterName: name });
    const caCertPem = remote ? pulumi.output(remote.caCertPem) : ownCa!.certPem;
    const caKeyPem = remote ? remote.caKeyPem : ownCa!.keyPem;

    const crds = new ClusterCrds(`${name}-crds`, { charts: platform.charts, bundles, deletedWith }, inCluster);
    const cilium = new Cilium(
        `${name}-cilium`,
        {
            settings: platform,
            chart: platform.charts.cilium,
            peers: meshPeers(platform.clustermesh.peers, remote?.facts),
            ca: { cert: caCertPem.apply(base64), key: pulumi.secret(caKeyPem.apply(base64)) },
            kubeconfig: cluster.kubeconfig,
            nodes: platform.nodes.map((n) => n.hostname),
            nodesReadyTimeout: platform.talos.timeouts.nodesReady,
            // Gateway API before the operator starts; ServiceMonitor for Cilium's monitors.
            requires: [...crds.gatewayApi, crds.prometheusOperator],
            deletedWith,
        },
        inCluster,
    );
    const addons = new CoreAddons(
        `${name}-addons`,
        { charts: platform.charts, coreDnsIp: platform.network.coreDnsIp, spegel: platform.addons.spegel, crds, networkReady: cilium.nodesReady, deletedWith },
        inCluster,
    );
    const onepassword = new OnePasswordBootstrap(
        `${name}-onepassword`,
        {
            onepassword: platform.onepassword,
            gitCredentials: platform.gitops.credentials,
            provider: onepasswordProvider,
            externalSecretsNamespace: addons.externalSecretsNamespace,
            fluxNamespace: addons.fluxNamespace,
            externalSecrets: addons.externalSecrets,
            deletedWith,
        },
        inCluster,
    );
    new FluxHandoff(
        `${name}-flux`,
        {
            clusterName: name,
            settings: clusterSettings(platform),
            instance: { fluxVersion: platform.versions.flux, operatorVersion: platform.charts.fluxOperator.version, gitops: platform.gitops },
            chart: platform.charts.fluxInstance,
            fluxNamespace: addons.fluxNamespace,
            fluxOperator: addons.fluxOperator,
            gitCredentials: onepassword.gitCredentialsSecret,
            requires: { coreDns: addons.coredns, certManager: addons.certManager, externalSecrets: addons.externalSecrets, secretStore: onepassword.clusterSecretStore },
            deletedWith,
        },
        inCluster,
    );

    return {
        ...meshFacts(platform),
        kubeconfig: cluster.kubeconfig,
        talosconfig: cluster.talosconfig,
        // When the admin client certificates expire (renewed by any up within talos.certificateRenewal).
        clientCertificates: cluster.certificateExpiry,
        // The last etcd snapshot the rollout took (path, sha256, when, before what), if any.
        etcdSnapshot: cluster.rollout.lastSnapshot.apply((s) => s ?? null),
        // Where the machine secrets' backup is (op read <this> > secrets.yaml).
        secretsBackup: backup.reference,
        ...(ownCa ? { meshCaCertPem: ownCa.certPem, meshCaKeyPem: ownCa.keyPem } : {}),
        ...(remote
            ? {
                  // One kubeconfig for operators, with a context per cluster of the mesh.
                  operatorKubeconfig: pulumi.secret(
                      pulumi
                          .all([remote.kubeconfig, cluster.kubeconfig])
                          .apply(([theirs, ours]) => mergeKubeconfigs([{ name: remote.facts.cluster.name, kubeconfig: theirs }, { name, kubeconfig: ours }], name)),
                  ),
              }
            : {}),
    };
}
