import * as pulumi from "@pulumi/pulumi";
import type { ClientConfiguration, ConfigurationApplyOnDestroy, MachineSecrets, Timeout } from "./types";
import { resourceOptsDefaults } from "./utilities";

/**
 * `talos.machine.*` of the Pulumiverse Talos provider: machine secrets, configuration apply,
 * bootstrap and the configuration generator. Same names and argument shapes as the upstream SDK.
 */

export interface SecretsArgs {
    /** Version contract of the generated secrets, e.g. "v1.11". Lowering it replaces the PKI. */
    talosVersion?: pulumi.Input<string>;
}

/** The cluster's machine secrets (PKI and tokens), generated once and kept in state. */
export class Secrets extends pulumi.CustomResource {
    public static readonly __pulumiType = "talos:machine/secrets:Secrets";
    declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
    declare public readonly machineSecrets: pulumi.Output<MachineSecrets>;
    declare public readonly talosVersion: pulumi.Output<string>;

    constructor(name: string, args?: SecretsArgs, opts?: pulumi.CustomResourceOptions) {
        const inputs: pulumi.Inputs = {
            talosVersion: args?.talosVersion,
            // Outputs must be present as keys for the SDK to attach them to this object.
            clientConfiguration: undefined,
            machineSecrets: undefined,
        };
        // Stricter than the generated SDK: the whole bundles are secret, not only their key leaves.
        opts = pulumi.mergeOptions(pulumi.mergeOptions(resourceOptsDefaults(), opts), { additionalSecretOutputs: ["machineSecrets", "clientConfiguration"] });
        super(Secrets.__pulumiType, name, inputs, opts);
    }
}

export interface ConfigurationApplyArgs {
    clientConfiguration: pulumi.Input<ClientConfiguration>;
    /** The generated base machine configuration (secret). */
    machineConfigurationInput: pulumi.Input<string>;
    /** Node to configure (sent as gRPC node metadata). */
    node: pulumi.Input<string>;
    /** apid endpoint to dial; defaults to `node`. */
    endpoint?: pulumi.Input<string>;
    /** Strategic-merge or RFC 6902 patches, applied in order. */
    configPatches?: pulumi.Input<pulumi.Input<string>[]>;
    /** auto | reboot | no_reboot | staged (provider v0.6.1). */
    applyMode?: pulumi.Input<string>;
    onDestroy?: pulumi.Input<ConfigurationApplyOnDestroy>;
    timeouts?: pulumi.Input<Timeout>;
}

/** Applies a machine configuration to one node (over the insecure API while in maintenance mode). */
export class ConfigurationApply extends pulumi.CustomResource {
    public static readonly __pulumiType = "talos:machine/configurationApply:ConfigurationApply";
    declare public readonly applyMode: pulumi.Output<string>;
    declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
    declare public readonly configPatches: pulumi.Output<string[] | undefined>;
    declare public readonly endpoint: pulumi.Output<string>;
    declare public readonly machineConfiguration: pulumi.Output<string>;
    declare public readonly machineConfigurationInput: pulumi.Output<string>;
    declare public readonly node: pulumi.Output<string>;
    declare public readonly onDestroy: pulumi.Output<ConfigurationApplyOnDestroy | undefined>;
    declare public readonly timeouts: pulumi.Output<Timeout | undefined>;

    constructor(name: string, args: ConfigurationApplyArgs, opts?: pulumi.CustomResourceOptions) {
        const inputs: pulumi.Inputs = {
            applyMode: args.applyMode,
            clientConfiguration: args.clientConfiguration,
            configPatches: args.configPatches,
            endpoint: args.endpoint,
            machineConfigurationInput: pulumi.secret(args.machineConfigurationInput),
            node: args.node,
            onDestroy: args.onDestroy,
            timeouts: args.timeouts,
            machineConfiguration: undefined,
        };
        opts = pulumi.mergeOptions(pulumi.mergeOptions(resourceOptsDefaults(), opts), { additionalSecretOutputs: ["machineConfiguration", "machineConfigurationInput"] });
        super(ConfigurationApply.__pulumiType, name, inputs, opts);
    }
}

export interface BootstrapArgs {
    clientConfiguration: pulumi.Input<ClientConfiguration>;
    node: pulumi.Input<string>;
    endpoint?: pulumi.Input<string>;
    timeouts?: pulumi.Input<{ create?: pulumi.Input<string> }>;
}

/** Bootstraps etcd on one control-plane node. Read and delete are no-ops in the provider. */
export class Bootstrap extends pulumi.CustomResource {
    public static readonly __pulumiType = "talos:machine/bootstrap:Bootstrap";
    declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
    declare public readonly endpoint: pulumi.Output<string>;
    declare public readonly node: pulumi.Output<string>;
    declare public readonly timeouts: pulumi.Output<{ create?: string } | undefined>;

    constructor(name: string, args: BootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        const inputs: pulumi.Inputs = {
            clientConfiguration: args.clientConfiguration,
            endpoint: args.endpoint,
            node: args.node,
            timeouts: args.timeouts,
        };
        opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
        super(Bootstrap.__pulumiType, name, inputs, opts);
    }
}

export interface GetConfigurationArgs {
    clusterName: string;
    /** https://<host>:<port> of the Kubernetes API. */
    clusterEndpoint: string;
    machineType: "controlplane" | "worker";
    machineSecrets: MachineSecrets;
    configPatches?: string[];
    kubernetesVersion?: string;
    talosVersion?: string;
    docs?: boolean;
    examples?: boolean;
}

export interface GetConfigurationResult {
    readonly clusterEndpoint: string;
    readonly clusterName: string;
    readonly id: string;
    readonly machineConfiguration: string;
    readonly machineType: string;
}

type Inputify<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** Generates a base machine configuration for a role (data source; runs on every preview and up). */
export function getConfigurationOutput(
    args: Inputify<GetConfigurationArgs>,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetConfigurationResult> {
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts || {});
    return pulumi.runtime.invokeOutput(
        "talos:machine/getConfiguration:getConfiguration",
        {
            clusterEndpoint: args.clusterEndpoint,
            clusterName: args.clusterName,
            configPatches: args.configPatches,
            docs: args.docs,
            examples: args.examples,
            kubernetesVersion: args.kubernetesVersion,
            machineSecrets: args.machineSecrets,
            machineType: args.machineType,
            talosVersion: args.talosVersion,
        },
        opts,
    );
}
