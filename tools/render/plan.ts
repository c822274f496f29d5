import type { ClusterTarget, RolloutPlan } from "../../model";
import { describePlan, planRollout, refusal } from "../../planners/rollout";

/**
 * The offline rollout plan (`npm run render -- --against <previous render>`): what `pulumi up`
 * would do to each node going from the previous render's rollout target to this one, computed by
 * the same planner the Rollout resource uses. An impossible plan fails with the same message.
 */
export function planFiles(stack: string, previous: ClusterTarget, current: ClusterTarget, against: string): Map<string, string> {
    const { plan, problems } = planRollout(previous, current);
    if (problems.length > 0) throw new Error(refusal(problems));
    return new Map([
        ["plan.json", `${JSON.stringify(plan, null, 2)}\n`],
        ["plan.md", planMarkdown(stack, plan, against)],
    ]);
}

function planMarkdown(stack: string, plan: RolloutPlan, against: string): string {
    const nodes = Object.values(plan.nodes);
    const row = (host: string, i: number) => {
        const n = plan.nodes[host];
        const versions = n.from && n.to ? `${n.from} → ${n.to}` : "";
        const snapshot = plan.etcdSnapshot === host ? "etcd snapshot first" : "";
        return `| ${i + 1} | ${host} | ${n.role} | ${n.action}${n.thenReboot ? " + reboot" : ""} | ${versions} | ${[snapshot, ...n.reasons].filter(Boolean).join("; ")} |`;
    };
    const applied = nodes.filter((n) => n.action === "apply");
    const untouched = nodes.filter((n) => n.action === "none").map((n) => n.hostname);
    return [
        `# Rollout plan of stack \`${stack}\``,
        "",
        `Against the previous render in \`${against}\`. Nodes are disrupted one at a time in this order, each behind the health gate`,
        "(control planes first; see the README, Day 2).",
        "",
        ...(plan.order.length > 0
            ? ["| # | Node | Role | Action | Versions | Why |", "| --- | --- | --- | --- | --- | --- |", ...plan.order.map(row)]
            : ["No node is disrupted."]),
        "",
        `Kubernetes: ${plan.kubernetes ? `${plan.kubernetes.from} → ${plan.kubernetes.to} (after the Talos upgrades, through upgrade-k8s)` : "unchanged"}.`,
        `etcd snapshot: ${plan.etcdSnapshot ? `before the step of ${plan.etcdSnapshot}` : "none (no control-plane upgrade or removal)"}.`,
        ...(applied.length > 0 ? ["", "Applied without a reboot:", ...applied.map((n) => `- ${n.hostname}: ${n.reasons.join("; ")}`)] : []),
        ...(untouched.length > 0 ? ["", `Unchanged: ${untouched.join(", ")}.`] : []),
        "",
        "```",
        ...describePlan(plan),
        "```",
        "",
    ].join("\n");
}
