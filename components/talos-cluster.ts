import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterIdentity, NodeSpec, TalosSettings, Versions } from "../model";
import { installerImage, nodePatches, schematicYaml, type PatchInputs, type UserPatches } from "../planners/talos-patches";
import * as talos from "../talos/provider";
import { ApiReady } from "./gates";

export interface TalosClusterArgs {
    cluster: Pick<ClusterIdentity, "name" | "endpoint">;
    versions: Pick<Versions, "talos" | "talosContract" | "kubernetes">;
    /** Every node; the first control plane bootstraps etcd. */
    nodes: NodeSpec[];
    talos: TalosSettings;
    /** What the generated machine-config patches are built from. */
    patches: PatchInputs;
    /** The user's patch files for this cluster (read by the stack, see talos/README.md). */
    userPatches: UserPatches;
}

/**
 * Takes the stack's nodes from Talos maintenance mode to a bootstrapped Kubernetes control plane
 * whose API answers: machine secrets, the Image Factory schematic, one configuration apply per
 * node, etcd bootstrap on the first control plane, the admin kubeconfig and talosconfig, and an
 * API readiness gate that everything talking to Kubernetes should depend on.
 */
export class TalosCluster extends pulumi.ComponentResource {
    /** Admin kubeconfig (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** talosconfig with the control-plane IPs as endpoints (secret). */
    public readonly talosconfig: pulumi.Output<string>;
    /** Completes once the Kubernetes API answers; depend on it before talking to Kubernetes. */
    public readonly apiReady: ApiReady;
    /** Kubernetes provider for this cluster; usable only once the API gate has passed. */
    public readonly provider: k8s.Provider;
    /** The etcd bootstrap; in-cluster objects use it as their `deletedWith` anchor. */
    public readonly bootstrap: talos.machine.Bootstrap;
    /** Installer image every node installs. */
    public readonly installerImage: pulumi.Output<string>;
    /** Node IPs by role. */
    public readonly controlPlaneIps: string[];
    public readonly workerIps: string[];

    /**
     * @param name The _unique_ name of this component; prefixes every child (use the cluster name).
     */
    constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:TalosCluster", name, {}, opts);
        const controlPlanes = args.nodes.filter((n) => n.role === "controlplane");
        const workers = args.nodes.filter((n) => n.role === "worker");
        const child = { parent: this };

        // The cluster PKI. Losing it means losing control of the running cluster, so: protected
        // (`pulumi destroy` refuses; rebuild drills use --exclude-protected), and a changed
        // talosVersion is ignored because lowering it would make the provider replace the PKI.
        const secrets = new talos.machine.Secrets(
            `${name}-secrets`,
            { talosVersion: args.versions.talosContract },
            { ...child, protect: true, ignoreChanges: ["talosVersion"] },
        );
        // Rebuilt field by field: passing the provider's nested object straight through has failed to
        // marshal (pulumiverse/pulumi-talos#80, #103, #200).
        const machineSecrets = secrets.machineSecrets.apply(copyMachineSecrets);
        const clientConfiguration = secrets.clientConfiguration.apply((c) => ({
            caCertificate: c.caCertificate,
            clientCertificate: c.clientCertificate,
            clientKey: c.clientKey,
        }));

        // Content-addressed: a changed schematic is a new schematic id, i.e. a replacement.
        const schematic = new talos.imagefactory.Schematic(`${name}-schematic`, { schematic: schematicYaml(args.talos.schematic) }, { ...child, replaceOnChanges: ["schematic"] });
        this.installerImage = schematic.id.apply((id) => installerImage(id, args.versions.talos));

        const baseConfig = (role: NodeSpec["role"]) =>
            talos.machine.getConfigurationOutput(
                {
                    clusterName: args.cluster.name,
                    clusterEndpoint: args.cluster.endpoint,
                    machineType: role,
                    machineSecrets,
                    talosVersion: args.versions.talosContract,
                    kubernetesVersion: args.versions.kubernetes,
                    docs: false,
                    examples: false,
                },
                child,
            ).machineConfiguration;
        const configs = { controlplane: baseConfig("controlplane"), worker: workers.length > 0 ? baseConfig("worker") : undefined };

        const timeouts = args.talos.timeouts;
        const apply = (node: NodeSpec, dependsOn: pulumi.Resource[]) =>
            new talos.machine.ConfigurationApply(
                `${name}-${node.hostname}`,
                {
                    clientConfiguration,
                    machineConfigurationInput: configs[node.role]!,
                    node: node.ip,
                    endpoint: node.ip,
                    configPatches: this.installerImage.apply((image) => nodePatches(args.patches, node, image, args.userPatches)),
                    applyMode: args.talos.applyMode,
                    // graceful=false: a whole-cluster destroy would otherwise fail on the last etcd member.
                    onDestroy: { reset: args.talos.resetOnDestroy, graceful: false, reboot: true },
                    timeouts: { create: timeouts.apply, update: timeouts.apply, delete: timeouts.apply },
                },
                { ...child, dependsOn },
            );

        // Every control plane is configured in parallel; nothing orders them against each other.
        const controlPlaneApplies = controlPlanes.map((node) => apply(node, []));

        const bootstrapNode = controlPlanes[0].ip;
        this.bootstrap = new talos.machine.Bootstrap(
            `${name}-bootstrap`,
            { clientConfiguration, node: bootstrapNode, endpoint: bootstrapNode, timeouts: { create: timeouts.bootstrap } },
            {
                ...child,
                // etcd must be bootstrapped exactly once, after every control plane has its config.
                dependsOn: controlPlaneApplies,
                // Bootstrapping is one-shot: re-running it on a live cluster retries AlreadyExists until
                // the timeout, so later changes to these inputs must never replace it.
                ignoreChanges: ["node", "endpoint", "clientConfiguration", "timeouts"],
            },
        );

        // Workers join once the control plane exists.
        workers.forEach((node) => apply(node, [this.bootstrap]));

        const kubeconfig = new talos.cluster.Kubeconfig(
            `${name}-kubeconfig`,
            {
                clientConfiguration,
                node: bootstrapNode,
                endpoint: bootstrapNode,
                certificateRenewalDuration: args.talos.kubeconfigRenewal,
                timeouts: { create: timeouts.kubeconfig, update: timeouts.kubeconfig },
            },
            // The provider retries until the API issues a kubeconfig, which needs etcd.
            { ...child, dependsOn: [this.bootstrap] },
        );
        this.kubeconfig = pulumi.secret(kubeconfig.kubeconfigRaw);

        this.controlPlaneIps = controlPlanes.map((n) => n.ip);
        this.workerIps = workers.map((n) => n.ip);
        this.talosconfig = pulumi.secret(
            talos.client.getConfigurationOutput(
                { clusterName: args.cluster.name, clientConfiguration, endpoints: this.controlPlaneIps, nodes: args.nodes.map((n) => n.ip) },
                child,
            ).talosConfig,
        );

        this.apiReady = new ApiReady(`${name}-api-ready`, { kubeconfig: this.kubeconfig, timeout: timeouts.apiReady }, child);

        this.provider = new k8s.Provider(
            `${name}-kubernetes`,
            {
                // Routed through the gate's id: during `up` nothing can use the provider before the API
                // answers (a provider's dependsOn is not honoured in preview, pulumi/pulumi#8917).
                kubeconfig: pulumi.secret(pulumi.all([this.apiReady.id, this.kubeconfig]).apply(([, kc]) => kc)),
                // Replace the provider (and everything it manages) only if the cluster really changes,
                // not when a renewed kubeconfig or an unknown value makes it look different.
                clusterIdentifier: args.cluster.name,
            },
            child,
        );

        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            talosconfig: this.talosconfig,
            apiReady: this.apiReady,
            provider: this.provider,
            bootstrap: this.bootstrap,
            installerImage: this.installerImage,
            controlPlaneIps: this.controlPlaneIps,
            workerIps: this.workerIps,
        });
    }
}

function copyMachineSecrets(s: talos.MachineSecrets): talos.MachineSecrets {
    const cert = (c: talos.Certificate) => ({ cert: c.cert, key: c.key });
    return {
        certs: {
            etcd: cert(s.certs.etcd),
            k8s: cert(s.certs.k8s),
            k8sAggregator: cert(s.certs.k8sAggregator),
            k8sServiceaccount: { key: s.certs.k8sServiceaccount.key },
            os: cert(s.certs.os),
        },
        cluster: { id: s.cluster.id, secret: s.cluster.secret },
        secrets: {
            bootstrapToken: s.secrets.bootstrapToken,
            secretboxEncryptionSecret: s.secrets.secretboxEncryptionSecret,
            ...(s.secrets.aescbcEncryptionSecret ? { aescbcEncryptionSecret: s.secrets.aescbcEncryptionSecret } : {}),
        },
        trustdinfo: { token: s.trustdinfo.token },
    };
}
