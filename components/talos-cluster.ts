import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterIdentity, ClusterTarget, NodeSpec, TalosSettings, Versions } from "../model";
import { summarizeConfig } from "../planners/machine-config";
import { copyMachineSecrets } from "../planners/secrets-bundle";
import { installerImage, nodePatches, schematicYaml, type PatchInputs, type UserPatches } from "../planners/talos-patches";
import { talosRelease } from "../planners/versions";
import * as talos from "../talos/provider";
import type { MachineSecrets } from "../talos/provider/types";
import { AdminCredentials } from "./admin-credentials";
import { EtcdRecovery } from "./etcd-recovery";
import { ApiReady } from "./gates";
import { Rollout, type DeepInput } from "./rollout";

/** Every input of a configuration apply: after the install, only the rollout changes a node. */
const INSTALL_ONLY = ["clientConfiguration", "machineConfigurationInput", "configPatches", "applyMode", "node", "endpoint", "timeouts"];

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
    /** A secrets.yaml to import the machine secrets from instead of generating them (a lost stack re-created). */
    secretsImportFile?: string;
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
    /** The etcd bootstrap (or its recovery from a snapshot); in-cluster objects use it as their `deletedWith` anchor. */
    public readonly bootstrap: pulumi.CustomResource;
    /** The cluster's machine secrets (secret), for the 1Password backup. */
    public readonly machineSecrets: pulumi.Output<MachineSecrets>;
    /** When the admin client certificates expire (ISO 8601). */
    public readonly certificateExpiry: pulumi.Output<{ talosconfig: string; kubeconfig: string }>;
    /** Day-2 changes to the nodes (upgrades, reboots, joins, removals). */
    public readonly rollout: Rollout;
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
        // Each Talos minor needs the provider release whose machinery generates its configs.
        const talosChild = { ...child, version: talosRelease(args.versions.talos)!.provider };

        // The cluster PKI. Losing it means losing control of the running cluster, so: protected
        // (`pulumi destroy` refuses; rebuild drills use --exclude-protected), and a changed
        // talosVersion is ignored because lowering it would make the provider replace the PKI.
        // Re-creating a lost stack imports them from the 1Password backup instead (README, "The PKI").
        const secrets = new talos.machine.Secrets(
            `${name}-secrets`,
            { talosVersion: args.versions.talosContract },
            { ...talosChild, protect: true, ignoreChanges: ["talosVersion"], ...(args.secretsImportFile ? { import: args.secretsImportFile } : {}) },
        );
        // Rebuilt field by field: passing the provider's nested object straight through has failed to
        // marshal (pulumiverse/pulumi-talos#80, #103, #200).
        const machineSecrets = secrets.machineSecrets.apply(copyMachineSecrets);
        this.machineSecrets = pulumi.secret(machineSecrets);

        // Content-addressed: a changed schematic is a new schematic id, i.e. a replacement.
        const schematic = new talos.imagefactory.Schematic(`${name}-schematic`, { schematic: schematicYaml(args.talos.schematic) }, { ...talosChild, replaceOnChanges: ["schematic"] });
        this.installerImage = schematic.id.apply((id) => installerImage(id, args.versions.talos));

        this.controlPlaneIps = controlPlanes.map((n) => n.ip);
        this.workerIps = workers.map((n) => n.ip);
        const credentials = new AdminCredentials(
            `${name}-admin`,
            { clusterName: args.cluster.name, endpoint: args.cluster.endpoint, endpoints: this.controlPlaneIps, nodes: args.nodes.map((n) => n.ip), machineSecrets, renewal: args.talos.certificateRenewal },
            child,
        );
        const clientConfiguration = credentials.clientConfiguration;
        this.talosconfig = credentials.talosconfig;
        this.kubeconfig = credentials.kubeconfig;
        this.certificateExpiry = credentials.expiry;
        const policy = {
            maxParallelWorkers: args.talos.rollout.maxParallelWorkers,
            resetOnDestroy: args.talos.resetOnDestroy,
            snapshotDir: args.talos.rollout.snapshotDir,
            timeouts: { ...args.talos.rollout.timeouts, command: "5m", poll: "5s" },
        };

        // Each node's whole machine configuration: the generated base for its role plus every patch,
        // rendered by the provider (in `args.nodes` order; the offline render relies on it).
        const configs: Record<string, pulumi.Output<string>> = {};
        for (const node of args.nodes) {
            configs[node.hostname] = talos.machine.getConfigurationOutput(
                {
                    clusterName: args.cluster.name,
                    clusterEndpoint: args.cluster.endpoint,
                    machineType: node.role,
                    machineSecrets,
                    talosVersion: args.versions.talosContract,
                    kubernetesVersion: args.versions.kubernetes,
                    configPatches: this.installerImage.apply((image) => nodePatches(args.patches, node, image, args.userPatches)),
                    docs: false,
                    examples: false,
                },
                talosChild,
            ).machineConfiguration;
        }

        // Every change to a running node goes through the rollout, one node at a time; on the first
        // `pulumi up` it does nothing (the applies below install the nodes).
        const desired = rolloutTarget(args, schematic.id, this.installerImage, configs);
        this.rollout = new Rollout(`${name}-rollout`, { desired, configs, talosconfig: this.talosconfig, policy }, child);

        const timeouts = args.talos.timeouts;
        const apply = (node: NodeSpec, dependsOn: pulumi.Resource[]) =>
            new talos.machine.ConfigurationApply(
                `${name}-${node.hostname}`,
                {
                    clientConfiguration,
                    machineConfigurationInput: configs[node.hostname],
                    node: node.ip,
                    endpoint: node.ip,
                    applyMode: args.talos.applyMode,
                    // The rollout takes nodes out (etcd leave first); deleting this never resets a node.
                    onDestroy: { reset: false, graceful: false, reboot: false },
                    timeouts: { create: timeouts.apply, update: timeouts.apply, delete: timeouts.apply },
                },
                {
                    ...talosChild,
                    // The rollout runs first: on day 2 it installs added nodes one at a time and changes
                    // running ones, and these applies then only record them.
                    dependsOn: [this.rollout, ...dependsOn],
                    // Install only: an update would re-apply the config in state with no gate (and with
                    // `auto`, reboot every changed node at once). Changes roll through the rollout.
                    ignoreChanges: INSTALL_ONLY,
                    // Replacing the apply of a node must never have two of them for one machine.
                    deleteBeforeReplace: true,
                },
            );

        // Every control plane is configured in parallel; nothing orders them against each other.
        const controlPlaneApplies = controlPlanes.map((node) => apply(node, []));

        const bootstrapNode = controlPlanes[0].ip;
        // etcd is bootstrapped exactly once, after every control plane has its config: empty, or in
        // the restore drill from a snapshot (README, "Restore drill").
        this.bootstrap = args.talos.restoreFrom
            ? new EtcdRecovery(`${name}-recovery`, { target: desired, snapshot: args.talos.restoreFrom, talosconfig: this.talosconfig, policy }, { ...child, dependsOn: controlPlaneApplies })
            : new talos.machine.Bootstrap(
                  `${name}-bootstrap`,
                  { clientConfiguration, node: bootstrapNode, endpoint: bootstrapNode, timeouts: { create: timeouts.bootstrap } },
                  // No input of Bootstrap replaces it, and its update only writes state, so later changes
                  // (and an import's empty inputs, README "Bootstrap is one-shot") are safe to take. A
                  // running cluster whose state was lost has its bootstrap recorded, not repeated: the
                  // import keeps only the id, so for that one run the inputs it lacks are not compared.
                  {
                      ...talosChild,
                      dependsOn: controlPlaneApplies,
                      ...(args.talos.adoptBootstrap ? { import: "machine_bootstrap", ignoreChanges: ["node", "endpoint", "clientConfiguration", "timeouts"] } : {}),
                  },
              );

        // Workers join once the control plane exists.
        workers.forEach((node) => apply(node, [this.bootstrap]));

        // The API answers only once etcd runs; the gate (which waits for /readyz) says when.
        this.apiReady = new ApiReady(`${name}-api-ready`, { kubeconfig: this.kubeconfig, timeout: timeouts.apiReady }, { ...child, dependsOn: [this.bootstrap] });

        this.provider = new k8s.Provider(
            `${name}-kubernetes`,
            {
                // Routed through the gate's id: during `up` nothing can use the provider before the API
                // answers (a provider's dependsOn is not honoured in preview, pulumi/pulumi#8917).
                kubeconfig: pulumi.secret(pulumi.all([this.apiReady.id, this.kubeconfig]).apply(([, kc]) => kc)),
                // Replace the provider (and everything it manages) only if the cluster really changes,
                // not when a renewed kubeconfig or an unknown value makes it look different.
                clusterIdentifier: args.cluster.name,
                // Update ConfigMaps and Secrets in place: replacing one with a fixed name deletes it
                // first, and Flux reads cluster-settings and the <release>-values objects meanwhile.
                enableConfigMapMutable: true,
                enableSecretMutable: true,
            },
            child,
        );

        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            talosconfig: this.talosconfig,
            apiReady: this.apiReady,
            provider: this.provider,
            bootstrap: this.bootstrap,
            rollout: this.rollout,
            machineSecrets: this.machineSecrets,
            certificateExpiry: this.certificateExpiry,
            installerImage: this.installerImage,
            controlPlaneIps: this.controlPlaneIps,
            workerIps: this.workerIps,
        });
    }
}

/**
 * The target the rollout converges to, summarised (nothing secret in it). Built from its parts, not
 * from one `apply`: during preview a part not known yet (a replaced schematic's id, the first run's
 * configurations) stays unknown alone, so the versions are still checked there.
 */
function rolloutTarget(
    args: TalosClusterArgs,
    schematicId: pulumi.Output<string>,
    image: pulumi.Output<string>,
    configs: Record<string, pulumi.Output<string>>,
): DeepInput<ClusterTarget> {
    return {
        cluster: args.cluster.name,
        talos: { version: args.versions.talos, schematic: schematicId, image },
        kubernetes: args.versions.kubernetes,
        // Digests of the configurations, not the configurations: safe to show in previews and plans.
        nodes: args.nodes.map((n) => ({
            hostname: n.hostname,
            ip: n.ip,
            role: n.role,
            macs: n.links.map((l) => l.mac.toLowerCase()),
            config: pulumi.unsecret(configs[n.hostname].apply(summarizeConfig)),
        })),
    };
}
