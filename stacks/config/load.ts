import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../../model";
import { TALOS_PATCH_ROOT } from "../user-patches";
import { parseStackConfig, type ParsedConfig } from "./parse";

/**
 * Reads this stack's Pulumi configuration, once, and parses it together with the cluster's patch
 * files under talos/ (one list of problems for both). The only place in the program that touches
 * `pulumi.Config`/the runtime config; everything downstream gets typed objects.
 */
export function loadStackConfig(): ParsedConfig {
    const values = pulumi.runtime.allConfig();
    const ctx: StackContext = {
        stack: pulumi.getStack(),
        project: pulumi.getProject(),
        organization: pulumi.getOrganization(),
    };
    return parseStackConfig({ values, secretKeys: Object.keys(values).filter(isSecretKey) }, ctx, { OP_CONNECT_TOKEN: process.env.OP_CONNECT_TOKEN }, { patchRoot: TALOS_PATCH_ROOT });
}

/** The runtime marks secret config keys; the SDK exposes the check only internally. */
function isSecretKey(key: string): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
    return runtimeConfig.isConfigSecret(key);
}
