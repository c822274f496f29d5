import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../model";
import { ROLLOUT_PROTOCOL, type PolicyInputs, type RolloutOutputs } from "../lifecycle/provider";
import { checkoutProvider, PROJECT_DIR } from "./checkout-provider";

/** The rollout's provider: lifecycle/provider.ts, loaded from the checkout at run time. */
const provider = checkoutProvider("lifecycle/provider.ts");

/** A value whose parts may be Outputs (each part unknown on its own during preview). */
export type DeepInput<T> = T extends string | number | boolean ? pulumi.Input<T> : pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>;

export interface RolloutArgs {
    desired: DeepInput<ClusterTarget>;
    /** Full machine configuration per hostname (secret). */
    configs: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** talosconfig with the admin client certificate (secret). */
    talosconfig: pulumi.Input<string>;
    policy: PolicyInputs;
}

/**
 * Day 2 for one cluster: Talos upgrades, the Kubernetes upgrade, configuration changes that need a
 * reboot, nodes joining and leaving, one node at a time behind a health gate, with an etcd snapshot
 * before the first risky step (see lifecycle/). On the first `pulumi up` it does nothing: the
 * nodes are installed with the target by their configuration applies, and no CLI is needed.
 * `pulumi preview --diff` shows its plan (the `plan` property).
 */
export class Rollout extends pulumi.dynamic.Resource {
    declare public readonly achieved: pulumi.Output<ClusterTarget>;
    declare public readonly plan: pulumi.Output<string[]>;
    declare public readonly lastSnapshot: pulumi.Output<RolloutOutputs["lastSnapshot"]>;

    constructor(name: string, args: RolloutArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                protocol: ROLLOUT_PROTOCOL,
                projectDir: PROJECT_DIR,
                desired: args.desired,
                configs: pulumi.secret(args.configs),
                talosconfig: pulumi.secret(args.talosconfig),
                policy: args.policy,
                plan: undefined,
                achieved: undefined,
                lastSnapshot: undefined,
            },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["talosconfig"] }),
        );
    }
}
