import type { ClusterTarget, NodePlan, NodeTarget, RolloutPlan } from "../model";
import { appliesImmediately, changedSections } from "./machine-config";
import { kubernetesStepProblem, kubernetesSupportProblem, minorOf, talosStepProblem } from "./versions";

/**
 * The rollout plan: what one `pulumi up` does to each node, in which order, from the target of the
 * last successful run (`previous`) to the target of this one. Pure; the same function feeds the
 * preview (components/rollout.ts), the executor (lifecycle/) and the offline plan
 * (`npm run render -- --against`). An impossible plan is refused with every reason at once.
 *
 * Execution order, one disruption at a time: Talos upgrades (control planes, then workers), the
 * Kubernetes upgrade, configuration changes (immediate ones on every node, then the reboots they
 * need, control planes first), added nodes, removed nodes (workers first). Added nodes come before
 * removed ones so that etcd never shrinks below the members it needs.
 */

export interface PlanResult {
    plan: RolloutPlan;
    /** Why the plan cannot run; empty when it can. */
    problems: string[];
}

const byRole = (nodes: NodeTarget[]) => [...nodes.filter((n) => n.role === "controlplane"), ...nodes.filter((n) => n.role === "worker")];

function describeTalos(t: ClusterTarget["talos"], other: ClusterTarget["talos"]): string {
    return t.schematic === other.schematic ? t.version : `${t.version} (schematic ${t.schematic.slice(0, 12)})`;
}

/** The versions a plan moves between: the Talos release and the Kubernetes version. */
export interface Versions {
    talos: { version: string };
    kubernetes: string;
}

/**
 * Why a cluster cannot go from `previous` to `desired` versions in one run: Talos one minor at a
 * time, Kubernetes one minor at a time and within what the target Talos supports (Talos is
 * upgraded first, so the running Kubernetes must work on the new Talos).
 */
export function versionProblems(previous: Versions, desired: Versions): string[] {
    const problems: string[] = [];
    if (previous.talos.version !== desired.talos.version) {
        const step = talosStepProblem(previous.talos.version, desired.talos.version);
        if (step) problems.push(`platform:versions.talos = "${desired.talos.version}": ${step}`);
    }
    if (previous.kubernetes !== desired.kubernetes) {
        const step = kubernetesStepProblem(previous.kubernetes, desired.kubernetes);
        if (step) problems.push(`platform:versions.kubernetes = "${desired.kubernetes}": ${step}`);
    }
    if (minorOf(previous.talos.version) !== minorOf(desired.talos.version)) {
        const running = kubernetesSupportProblem(desired.talos.version, previous.kubernetes);
        if (running) {
            problems.push(
                `platform:versions.talos = "${desired.talos.version}": the cluster runs Kubernetes ${previous.kubernetes}, but ${running}; upgrade Kubernetes first, then Talos`,
            );
        }
    }
    return problems;
}

export function planRollout(previous: ClusterTarget | undefined, desired: ClusterTarget): PlanResult {
    const problems: string[] = [];
    const nodes: Record<string, NodePlan> = {};
    const plan = (n: NodeTarget, action: NodePlan["action"], reasons: string[], extra: Partial<NodePlan> = {}) => {
        nodes[n.hostname] = { hostname: n.hostname, ip: n.ip, role: n.role, action, reasons, ...extra };
    };

    if (previous === undefined) {
        // First run: the nodes are installed from maintenance mode with exactly this target.
        desired.nodes.forEach((n) => plan(n, "none", []));
        return { plan: { order: [], nodes, kubernetes: null, etcdSnapshot: null }, problems };
    }

    const talosChanged = previous.talos.version !== desired.talos.version || previous.talos.schematic !== desired.talos.schematic;
    const kubernetesChanged = previous.kubernetes !== desired.kubernetes;
    problems.push(...versionProblems(previous, desired));

    const before = new Map(previous.nodes.map((n) => [n.hostname, n]));
    const after = new Map(desired.nodes.map((n) => [n.hostname, n]));
    const added = desired.nodes.filter((n) => !before.has(n.hostname));
    const removed = previous.nodes.filter((n) => !after.has(n.hostname));

    for (const gone of removed) {
        const same = added.find((n) => n.ip === gone.ip || n.macs.some((m) => gone.macs.includes(m)));
        if (same) {
            problems.push(
                `platform:nodes: ${same.hostname} (${same.ip}) is the machine that was ${gone.hostname} (${gone.ip}); renaming a live node is not supported ` +
                    `(its resources and its etcd member are named after it). Keep the name ${gone.hostname}, or remove the node in one run and add it back under the new name in the next.`,
            );
        }
    }

    for (const want of desired.nodes) {
        const had = before.get(want.hostname);
        if (!had) continue;
        if (had.ip !== want.ip) {
            problems.push(`platform:nodes: ${want.hostname} moves from ${had.ip} to ${want.ip}; a live node's address cannot change. Remove the node, then add it back with the new address.`);
        }
        if (had.role !== want.role) {
            problems.push(`platform:nodes: ${want.hostname} changes role from ${had.role} to ${want.role}; a node's role is fixed at install. Remove the node, then add it back with the new role.`);
        }
        const sections = changedSections(had.config.sections, want.config.sections);
        const needsReboot = sections.some((s) => !appliesImmediately(s));
        const configReasons = sections.map((s) => `${s} changed${appliesImmediately(s) ? "" : " (needs a reboot)"}`);
        if (talosChanged) {
            plan(want, "upgrade", [`Talos ${describeTalos(previous.talos, desired.talos)} → ${describeTalos(desired.talos, previous.talos)}`, ...configReasons], {
                from: describeTalos(previous.talos, desired.talos),
                to: describeTalos(desired.talos, previous.talos),
                ...(needsReboot ? { thenReboot: true } : {}),
            });
        } else if (sections.length > 0) {
            plan(want, needsReboot ? "reboot" : "apply", configReasons);
        } else {
            plan(want, "none", []);
        }
    }
    added.forEach((n) => plan(n, "add", [`new ${n.role}`]));
    removed.forEach((n) => plan(n, "remove", [`no longer in platform:nodes`]));

    const order: string[] = [];
    const push = (hosts: string[]) => hosts.forEach((h) => order.includes(h) || order.push(h));
    const withAction = (list: NodeTarget[], test: (p: NodePlan) => boolean) => byRole(list).filter((n) => test(nodes[n.hostname])).map((n) => n.hostname);
    push(withAction(desired.nodes, (p) => p.action === "upgrade"));
    push(withAction(desired.nodes, (p) => p.action === "reboot"));
    push(withAction(added, () => true));
    push(byRole(removed).reverse().map((n) => n.hostname)); // workers first, then control planes

    const risky = order.find((h) => nodes[h].role === "controlplane" && (nodes[h].action === "upgrade" || nodes[h].action === "remove"));
    return {
        plan: {
            order,
            nodes,
            kubernetes: kubernetesChanged ? { from: previous.kubernetes, to: desired.kubernetes } : null,
            etcdSnapshot: risky ?? null,
        },
        problems,
    };
}

/** How a refused plan reads, the same in `pulumi preview`/`up`, the rollout log and the offline plan. */
export function refusal(problems: string[]): string {
    return `the rollout plan is refused, nothing was changed:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}

/** The plan as a few lines for humans (preview, logs, plan.md). */
export function describePlan(plan: RolloutPlan): string[] {
    const lines: string[] = [];
    for (const host of plan.order) {
        const n = plan.nodes[host];
        const versions = n.from && n.to ? ` ${n.from} → ${n.to}` : "";
        const snapshot = plan.etcdSnapshot === host ? " (etcd snapshot first)" : "";
        lines.push(`${host}: ${n.action}${versions}${n.thenReboot ? ", then reboot for its config" : ""}${snapshot}: ${n.reasons.join("; ")}`);
        if (plan.kubernetes && n.action === "upgrade" && !plan.order.slice(plan.order.indexOf(host) + 1).some((h) => plan.nodes[h].action === "upgrade")) {
            lines.push(`kubernetes: upgrade ${plan.kubernetes.from} → ${plan.kubernetes.to}`);
        }
    }
    if (plan.kubernetes && !plan.order.some((h) => plan.nodes[h].action === "upgrade")) lines.unshift(`kubernetes: upgrade ${plan.kubernetes.from} → ${plan.kubernetes.to}`);
    for (const n of Object.values(plan.nodes)) if (n.action === "apply") lines.push(`${n.hostname}: apply without reboot: ${n.reasons.join("; ")}`);
    return lines.length > 0 ? lines : ["no change to any node"];
}
