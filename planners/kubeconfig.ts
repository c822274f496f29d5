import { parse, stringify } from "yaml";

/** The parts of a kubeconfig's current context: names and the raw cluster and user entries. */
export interface CurrentContext {
    name: string;
    namespace?: string;
    cluster: Record<string, unknown> & { server?: string; "certificate-authority-data"?: string };
    user: Record<string, unknown> & { "client-certificate-data"?: string; "client-key-data"?: string };
}

interface Kubeconfig {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
    clusters?: { name: string; cluster: CurrentContext["cluster"] }[];
    users?: { name: string; user: CurrentContext["user"] }[];
}

/** Resolves a kubeconfig's current context (the first one when none is set) to its cluster and user. */
export function currentContext(text: string): CurrentContext {
    const kc = parse(text) as Kubeconfig;
    const name = kc["current-context"] ?? kc.contexts?.[0]?.name ?? "";
    const context = kc.contexts?.find((c) => c.name === name)?.context;
    if (!context) throw new Error(`kubeconfig has no context "${name}"`);
    const cluster = kc.clusters?.find((c) => c.name === context.cluster)?.cluster;
    const user = kc.users?.find((u) => u.name === context.user)?.user;
    if (!cluster || !user) throw new Error(`kubeconfig context "${name}" names a cluster or user it does not define`);
    return { name, namespace: context.namespace, cluster, user };
}

/** One cluster's admin kubeconfig, to be merged under a context named `name`. */
export interface NamedKubeconfig {
    name: string;
    kubeconfig: string;
}

/**
 * Merges admin kubeconfigs into one with a context per cluster: context and cluster `<name>`,
 * user `admin@<name>`, each taken from the source's current context. `current` picks the default.
 */
export function mergeKubeconfigs(sources: NamedKubeconfig[], current: string): string {
    if (!sources.some((s) => s.name === current)) throw new Error(`current context ${current} is not one of the merged clusters`);
    const contexts = sources.map((s) => ({ name: s.name, ctx: currentContext(s.kubeconfig) }));
    return stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: contexts.map(({ name, ctx }) => ({ name, cluster: ctx.cluster })),
            users: contexts.map(({ name, ctx }) => ({ name: `admin@${name}`, user: ctx.user })),
            contexts: contexts.map(({ name, ctx }) => ({ name, context: { cluster: name, user: `admin@${name}`, namespace: ctx.namespace ?? "default" } })),
            "current-context": current,
            preferences: {},
        },
        { lineWidth: 0 },
    );
}
