import { parse, stringify } from "yaml";

/** One cluster's admin kubeconfig, to be merged under a context named `name`. */
export interface NamedKubeconfig {
    name: string;
    kubeconfig: string;
}

interface Kubeconfig {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
    clusters?: { name: string; cluster: Record<string, unknown> }[];
    users?: { name: string; user: Record<string, unknown> }[];
}

/**
 * Merges admin kubeconfigs into one with a context per cluster: context and cluster `<name>`,
 * user `admin@<name>`, each taken from the source's current context. `current` picks the default.
 */
export function mergeKubeconfigs(sources: NamedKubeconfig[], current: string): string {
    const merged = { apiVersion: "v1", kind: "Config", clusters: [] as unknown[], users: [] as unknown[], contexts: [] as unknown[], "current-context": current, preferences: {} };
    for (const { name, kubeconfig } of sources) {
        const kc = parse(kubeconfig) as Kubeconfig;
        const ctxName = kc["current-context"] ?? kc.contexts?.[0]?.name;
        const ctx = kc.contexts?.find((c) => c.name === ctxName)?.context;
        const cluster = kc.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
        const user = kc.users?.find((u) => u.name === ctx?.user)?.user;
        if (!ctx || !cluster || !user) throw new Error(`the kubeconfig of cluster ${name} has no complete current context`);
        merged.clusters.push({ name, cluster });
        merged.users.push({ name: `admin@${name}`, user });
        merged.contexts.push({ name, context: { cluster: name, user: `admin@${name}`, namespace: ctx.namespace ?? "default" } });
    }
    if (!sources.some((s) => s.name === current)) throw new Error(`current context ${current} is not one of the merged clusters`);
    return stringify(merged, { lineWidth: 0 });
}
