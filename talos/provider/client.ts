import * as pulumi from "@pulumi/pulumi";
import type { ClientConfiguration } from "./types";
import { resourceOptsDefaults } from "./utilities";

/** `talos.client.*`: the talosconfig generator. Same names and argument shapes as the upstream SDK. */

export interface GetConfigurationArgs {
    clusterName: pulumi.Input<string>;
    clientConfiguration: pulumi.Input<ClientConfiguration>;
    /** Talos API endpoints talosctl dials: the control-plane IPs, never a VIP. */
    endpoints?: pulumi.Input<pulumi.Input<string>[]>;
    nodes?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface GetConfigurationResult {
    readonly clusterName: string;
    readonly id: string;
    readonly talosConfig: string;
}

/** Renders a talosconfig for the admin client credentials (data source). */
export function getConfigurationOutput(args: GetConfigurationArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetConfigurationResult> {
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts || {});
    return pulumi.runtime.invokeOutput(
        "talos:client/getConfiguration:getConfiguration",
        {
            clientConfiguration: args.clientConfiguration,
            clusterName: args.clusterName,
            endpoints: args.endpoints,
            nodes: args.nodes,
        },
        opts,
    );
}
