import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../model";
import { ROLLOUT_PROTOCOL, type PolicyInputs, type RolloutOutputs } from "../lifecycle/provider";

/** Where the program runs from: the Rollout's provider code is loaded from this checkout at run time. */
const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * The engine serializes this object into state and runs it in its dynamic-provider host. It holds
 * no rollout logic: each call loads lifecycle/provider.ts from the project folder (compiled on the
 * fly by the project's own ts-node), so the code that touches the nodes is always the checked-out
 * one (a serialized copy would go stale, pulumi/pulumi#6490) and nothing large is serialized.
 */
const loader: pulumi.dynamic.ResourceProvider = {
    check: async (olds: any, news: any) => load(news.projectDir, olds.projectDir).check(olds, news),
    diff: async (id: string, olds: any, news: any) => load(news.projectDir, olds.projectDir).diff(id, olds, news),
    create: async (inputs: any) => load(inputs.projectDir).create(inputs),
    update: async (id: string, olds: any, news: any) => load(news.projectDir, olds.projectDir).update(id, olds, news),
    delete: async (id: string, olds: any) => load(olds.projectDir).remove(id, olds),
};

/** Loads the provider module from the first of the given project folders (or the current one) that holds it. */
function load(...projectDirs: (string | undefined)[]): any {
    // These requires run in the engine's dynamic-provider host, not in the program.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const fs = require("fs");
    const p = require("path");
    const candidates = [...projectDirs, process.env.PLATFORM_PROJECT_DIR, process.cwd()].filter((d): d is string => typeof d === "string" && d !== "");
    const dir = candidates.find((d) => fs.existsSync(p.join(d, "lifecycle", "provider.ts")));
    if (!dir) throw new Error(`the rollout code (lifecycle/provider.ts) is not in ${candidates.join(" or ")}: run pulumi from the project folder, or set PLATFORM_PROJECT_DIR`);
    require(p.join(dir, "node_modules", "ts-node")).register({ transpileOnly: true, project: p.join(dir, "tsconfig.json") });
    return require(p.join(dir, "lifecycle", "provider.ts"));
    /* eslint-enable @typescript-eslint/no-require-imports */
}

export interface RolloutArgs {
    desired: pulumi.Input<ClusterTarget>;
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
            loader,
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
