import * as pulumi from "@pulumi/pulumi";
import type { PolicyInputs } from "../lifecycle/provider";
import type { ClusterTarget } from "../model";
import { checkoutProvider, PROJECT_DIR } from "./checkout-provider";
import type { DeepInput } from "./rollout";

const provider = checkoutProvider("lifecycle/recover-provider.ts");

export interface EtcdRecoveryArgs {
    target: DeepInput<ClusterTarget>;
    /** The etcd snapshot (`platform:talos.restoreFrom`), relative to the project folder or absolute. */
    snapshot: string;
    talosconfig: pulumi.Input<string>;
    policy: PolicyInputs;
}

/**
 * The restore drill's bootstrap, in place of the provider's Bootstrap: once every control plane of a
 * freshly installed cluster waits for etcd, bootstraps it from the snapshot (`talosctl bootstrap
 * --recover-from`). One-shot: it never runs again once created.
 */
export class EtcdRecovery extends pulumi.dynamic.Resource {
    declare public readonly recoveredFrom: pulumi.Output<{ path: string; sha256: string }>;

    constructor(name: string, args: EtcdRecoveryArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            { projectDir: PROJECT_DIR, target: args.target, snapshot: args.snapshot, talosconfig: pulumi.secret(args.talosconfig), policy: args.policy, recoveredFrom: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["talosconfig"] }),
        );
    }
}
