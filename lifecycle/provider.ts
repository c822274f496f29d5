import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { ClusterTarget } from "../model";
import { durationMs } from "../readiness/duration";
import { describePlan, planRollout, refusal, versionProblems } from "../planners/rollout";
import { makeLog } from "./context";
import { hasUnknown } from "./unknown";
import type { RolloutPolicy, RolloutResult, SnapshotRecord } from "./request";
import { runRollout } from "./rollout";

/**
 * The Rollout resource's provider (check, diff, create, update, delete). The engine stores only a
 * small loader in state (components/rollout.ts), which loads this module from the project folder
 * at run time: the rollout always runs the checked-out code, never a stale serialized copy.
 */

/** Bumped when the inputs' meaning changes, so old state is never misread. */
export const ROLLOUT_PROTOCOL = 1;

/** The policy as the stack configures it (durations as Go durations, folders relative to the project). */
export interface PolicyInputs {
    maxParallelWorkers: number;
    resetOnDestroy: boolean;
    snapshotDir: string;
    timeouts: { health: string; drain: string; node: string; kubernetes: string; command: string; poll: string; stability: string };
}

export interface RolloutInputs {
    protocol: number;
    /** Absolute path of the project checkout the program ran from. */
    projectDir: string;
    desired: ClusterTarget;
    /** The plan as lines, filled in by `check` so that `pulumi preview --diff` shows it. */
    plan?: string[];
    /** Full machine configuration per hostname (secret). */
    configs: Record<string, string>;
    /** talosconfig with the admin client certificate (secret). */
    talosconfig: string;
    policy: PolicyInputs;
}

export interface RolloutOutputs extends Omit<RolloutInputs, "configs"> {
    /** The target the last successful run reached. */
    achieved: ClusterTarget;
    /** false when `achieved` was recorded without looking at the nodes (see RolloutResult). */
    verified?: false;
    /** Names this resource among the cluster's rollouts (see `generationFile`). */
    generation?: string;
    lastSnapshot?: SnapshotRecord;
}

/** The executor's policy from the resource's inputs (durations parsed, folders made absolute). */
export function policyFrom(inputs: { policy: PolicyInputs; projectDir: string }): RolloutPolicy {
    const t = inputs.policy.timeouts;
    return {
        maxParallelWorkers: inputs.policy.maxParallelWorkers,
        resetOnDestroy: inputs.policy.resetOnDestroy,
        snapshotDir: path.resolve(inputs.projectDir, inputs.policy.snapshotDir),
        timings: {
            healthMs: durationMs(t.health),
            drainMs: durationMs(t.drain),
            nodeMs: durationMs(t.node),
            kubernetesMs: durationMs(t.kubernetes),
            commandMs: durationMs(t.command),
            pollMs: durationMs(t.poll),
            stabilityMs: durationMs(t.stability),
        },
    };
}

/** Where a cluster's rollout log goes (README: "Watching a rollout"). */
export function logFile(projectDir: string, cluster: string): string {
    return path.join(projectDir, ".platform", cluster, "rollout.log");
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const FIRST_RUN = "first run: nodes in maintenance mode are installed by their configuration applies; nodes that already run this cluster are checked against the target";

export async function check(olds: Partial<RolloutInputs>, news: RolloutInputs) {
    if (hasUnknown(news.desired)) {
        // During preview, e.g. a replaced schematic's id or the first run's configurations: the
        // per-node plan waits for the update; the version rules need only the versions.
        const versions = (d: unknown): d is Parameters<typeof versionProblems>[0] => {
            const v = d as { talos?: { version?: unknown }; kubernetes?: unknown } | undefined;
            return typeof v?.talos?.version === "string" && typeof v.kubernetes === "string" && !hasUnknown([v.talos.version, v.kubernetes]);
        };
        const problems = olds.desired && versions(olds.desired) && versions(news.desired) ? versionProblems(olds.desired, news.desired) : [];
        if (problems.length > 0) return { inputs: news, failures: [{ property: "desired", reason: refusal(problems) }] };
        const lines = [
            olds.desired === undefined
                ? FIRST_RUN
                : "the per-node plan depends on values known only during the update (e.g. a new schematic id); it is written to the rollout log before any node is touched",
        ];
        return { inputs: { ...news, plan: lines } };
    }
    const { plan, problems } = planRollout(olds.desired, news.desired);
    if (problems.length > 0) return { inputs: news, failures: [{ property: "desired", reason: refusal(problems) }] };
    const lines = olds.desired === undefined ? [FIRST_RUN] : describePlan(plan);
    return { inputs: { ...news, plan: lines } };
}

export async function diff(_id: string, olds: RolloutOutputs, news: RolloutInputs) {
    // A renewed talosconfig is an update too (it only rewrites state, touching no node), so that a
    // later destroy reads a valid certificate from state. The checkout's location is no change.
    const changes = !same(olds.achieved, news.desired) || !same(olds.policy, news.policy) || olds.protocol !== news.protocol || olds.talosconfig !== news.talosconfig;
    return { changes };
}

function outputs(inputs: RolloutInputs, result: RolloutResult, previous?: RolloutOutputs, generation = previous?.generation): RolloutOutputs {
    const { configs: _configs, ...rest } = inputs;
    const lastSnapshot = result.snapshot ?? previous?.lastSnapshot;
    return {
        ...rest,
        achieved: result.achieved,
        ...(result.verified === false ? { verified: false } : {}),
        ...(generation ? { generation } : {}),
        ...(lastSnapshot ? { lastSnapshot } : {}),
    };
}

/**
 * Which Rollout resource is the cluster's current one. The engine replaces a resource (`pulumi up
 * --replace`, a new name) by creating the new one and deleting the old one afterwards, possibly in
 * a later run if the first is interrupted. Each create records its generation here; a delete whose
 * generation is not the recorded one is the old half of a replacement and must leave the nodes
 * alone, or the replacement would reset every node (resetOnDestroy). A rollout recorded before
 * generations existed has none: once another one is recorded, its delete is the old half too, and
 * its next update gives it one. The file sits in the checkout with the log: a delete run from
 * another checkout finds none and acts as a destroy.
 */
export function generationFile(projectDir: string, cluster: string): string {
    return path.join(projectDir, ".platform", cluster, "rollout-generation");
}

function recordGeneration(projectDir: string, cluster: string, generation: string): void {
    fs.mkdirSync(path.dirname(generationFile(projectDir, cluster)), { recursive: true });
    fs.writeFileSync(generationFile(projectDir, cluster), `${generation}\n`);
}

function recordedGeneration(projectDir: string, cluster: string): string | undefined {
    try {
        return fs.readFileSync(generationFile(projectDir, cluster), "utf8").trim() || undefined;
    } catch {
        return undefined;
    }
}

export async function create(inputs: RolloutInputs) {
    const cluster = inputs.desired.cluster;
    const result = await runRollout(
        { operation: "create", desired: inputs.desired, configs: inputs.configs, talosconfig: inputs.talosconfig, policy: policyFrom(inputs), logFile: logFile(inputs.projectDir, cluster) },
        makeLog(cluster, logFile(inputs.projectDir, cluster)),
    );
    // Recorded once the resource exists: a failed create leaves the current one current.
    const generation = crypto.randomUUID();
    recordGeneration(inputs.projectDir, cluster, generation);
    return { id: cluster, outs: outputs(inputs, result, undefined, generation) };
}

export async function update(_id: string, olds: RolloutOutputs, news: RolloutInputs) {
    // The engine updates only the current rollout: it is recorded as such (also in a checkout that
    // has no record yet), with a generation if it was created before generations existed.
    const generation = olds.generation ?? crypto.randomUUID();
    recordGeneration(news.projectDir, news.desired.cluster, generation);
    if (same(olds.achieved, news.desired)) return { outs: outputs(news, { achieved: olds.achieved, ...(olds.verified === false ? { verified: false as const } : {}) }, olds, generation) };
    const file = logFile(news.projectDir, news.desired.cluster);
    // A target recorded without looking at the nodes is no baseline: the run checks them live.
    const previous = olds.verified === false ? {} : { previous: olds.achieved };
    const result = await runRollout(
        { operation: "update", ...previous, desired: news.desired, configs: news.configs, talosconfig: news.talosconfig, policy: policyFrom(news), logFile: file },
        makeLog(news.desired.cluster, file),
    );
    return { outs: outputs(news, result, olds, generation) };
}

export async function remove(_id: string, olds: RolloutOutputs) {
    const cluster = olds.achieved.cluster;
    const file = logFile(olds.projectDir, cluster);
    const current = recordedGeneration(olds.projectDir, cluster);
    if (current && current !== olds.generation) {
        makeLog(cluster, file)(`this rollout (${olds.generation ?? "recorded before generations"}) was replaced by ${current}: its delete leaves the nodes alone`);
        return;
    }
    await runRollout({ operation: "delete", desired: olds.achieved, configs: {}, talosconfig: olds.talosconfig, policy: policyFrom(olds), logFile: file }, makeLog(cluster, file));
    fs.rmSync(generationFile(olds.projectDir, cluster), { force: true });
}
