import * as pulumi from "@pulumi/pulumi";
import type { ClientConfiguration, KubernetesClientConfiguration } from "./types";
import { resourceOptsDefaults } from "./utilities";

/** `talos.cluster.*`: the admin kubeconfig. Same names and argument shapes as the upstream SDK. */

export interface KubeconfigArgs {
    clientConfiguration: pulumi.Input<ClientConfiguration>;
    /** A control-plane node. */
    node: pulumi.Input<string>;
    endpoint?: pulumi.Input<string>;
    /** Renew when the client certificate expires within this window (Go duration; default 720h). */
    certificateRenewalDuration?: pulumi.Input<string>;
    timeouts?: pulumi.Input<{ create?: pulumi.Input<string>; update?: pulumi.Input<string> }>;
}

/** Retrieves (and on `up`, renews) the cluster's admin kubeconfig. */
export class Kubeconfig extends pulumi.CustomResource {
    public static readonly __pulumiType = "talos:cluster/kubeconfig:Kubeconfig";
    declare public readonly certificateRenewalDuration: pulumi.Output<string>;
    declare public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
    declare public readonly endpoint: pulumi.Output<string>;
    declare public readonly kubeconfigRaw: pulumi.Output<string>;
    declare public readonly kubernetesClientConfiguration: pulumi.Output<KubernetesClientConfiguration>;
    declare public readonly node: pulumi.Output<string>;
    declare public readonly timeouts: pulumi.Output<{ create?: string; update?: string } | undefined>;

    constructor(name: string, args: KubeconfigArgs, opts?: pulumi.CustomResourceOptions) {
        const inputs: pulumi.Inputs = {
            certificateRenewalDuration: args.certificateRenewalDuration,
            clientConfiguration: args.clientConfiguration,
            endpoint: args.endpoint,
            node: args.node,
            timeouts: args.timeouts,
            kubeconfigRaw: undefined,
            kubernetesClientConfiguration: undefined,
        };
        opts = pulumi.mergeOptions(pulumi.mergeOptions(resourceOptsDefaults(), opts), { additionalSecretOutputs: ["kubeconfigRaw", "kubernetesClientConfiguration"] });
        super(Kubeconfig.__pulumiType, name, inputs, opts);
    }
}
