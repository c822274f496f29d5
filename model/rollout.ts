import type { Role } from "./platform";

/**
 * What the day-2 rollout converges a cluster to, and what it plans to do to get there. Plain
 * data: the program builds a `ClusterTarget` from the stack config; the rollout (components/rollout.ts
 * and lifecycle/) compares it with the target of its last successful run.
 */

/** One node as the rollout sees it. Identity is the hostname; ip, role and MACs must not change under it. */
export interface NodeTarget {
    hostname: string;
    ip: string;
    role: Role;
    /** Permanent MACs of its bond members (to recognise a renamed machine). */
    macs: string[];
    /** The node's full machine configuration, summarised: a digest of the whole and one per section. */
    config: { hash: string; sections: Record<string, string> };
}

/** The state one `pulumi up` converges the cluster to. */
export interface ClusterTarget {
    cluster: string;
    /** Every node runs this Talos release from this Image Factory schematic. */
    talos: { version: string; schematic: string; image: string };
    kubernetes: string;
    /** In stack-file order. */
    nodes: NodeTarget[];
}

/** What the rollout does to one node. */
export type NodeAction = "none" | "apply" | "reboot" | "upgrade" | "add" | "remove";

export interface NodePlan {
    hostname: string;
    ip: string;
    role: Role;
    action: NodeAction;
    /** Versions (Talos release, or Talos release + schematic) where they change. */
    from?: string;
    to?: string;
    /** Why: the changed config sections, the version change, ... */
    reasons: string[];
    /** A config change that needs a reboot, after an upgrade of the same node. */
    thenReboot?: boolean;
}

/** The per-node plan of one run, shown before anything happens. */
export interface RolloutPlan {
    /** Hostnames in the order they will be disrupted (a node appears once, at its first disruption). */
    order: string[];
    nodes: Record<string, NodePlan>;
    kubernetes: { from: string; to: string } | null;
    /** The hostname whose step the etcd snapshot precedes (first control-plane upgrade or removal), or null. */
    etcdSnapshot: string | null;
}
