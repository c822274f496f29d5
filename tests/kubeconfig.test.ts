import { parse, stringify } from "yaml";
import { currentContext, mergeKubeconfigs } from "../planners/kubeconfig";

/** Reading a kubeconfig's current context, and merging the clusters' admin kubeconfigs into one. */

/**
 * A kubeconfig with one context per entry, named like Talos names them (`admin@<cluster>`); the
 * credentials are made up and distinct per cluster.
 */
function kubeconfig(clusters: { cluster: string; namespace?: string }[], current?: string): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: clusters.map(({ cluster }) => ({ name: cluster, cluster: { server: `https://${cluster}.example.test:6443`, "certificate-authority-data": `ca-${cluster}` } })),
        users: clusters.map(({ cluster }) => ({ name: `admin@${cluster}`, user: { "client-certificate-data": `cert-${cluster}`, "client-key-data": `key-${cluster}` } })),
        contexts: clusters.map(({ cluster, namespace }) => ({ name: `admin@${cluster}`, context: { cluster, user: `admin@${cluster}`, ...(namespace ? { namespace } : {}) } })),
        ...(current ? { "current-context": current } : {}),
    });
}

describe("currentContext", () => {
    test("resolves the current context to its cluster, user and namespace", () => {
        const ctx = currentContext(kubeconfig([{ cluster: "a" }, { cluster: "b", namespace: "ops" }], "admin@b"));
        expect(ctx).toEqual({
            name: "admin@b",
            namespace: "ops",
            cluster: { server: "https://b.example.test:6443", "certificate-authority-data": "ca-b" },
            user: { "client-certificate-data": "cert-b", "client-key-data": "key-b" },
        });
    });

    test("takes the first context when none is current", () => {
        expect(currentContext(kubeconfig([{ cluster: "a" }, { cluster: "b" }])).name).toBe("admin@a");
    });

    test("fails on a current context that does not exist, or that names an undefined cluster", () => {
        expect(() => currentContext(kubeconfig([{ cluster: "a" }], "admin@z"))).toThrow('kubeconfig has no context "admin@z"');
        const dangling = parse(kubeconfig([{ cluster: "a" }], "admin@a"));
        dangling.clusters = [];
        expect(() => currentContext(stringify(dangling))).toThrow('kubeconfig context "admin@a" names a cluster or user it does not define');
    });
});

describe("mergeKubeconfigs", () => {
    // infra's source holds a stale context first: only its current one may be taken.
    const sources = [
        { name: "infra", kubeconfig: kubeconfig([{ cluster: "old" }, { cluster: "infra" }], "admin@infra") },
        { name: "apps", kubeconfig: kubeconfig([{ cluster: "apps", namespace: "flux-system" }], "admin@apps") },
    ];
    const merged = parse(mergeKubeconfigs(sources, "apps"));

    test("has one context per cluster, named after it, using user admin@<name>", () => {
        expect(merged.contexts.map((c: { name: string; context: { cluster: string; user: string } }) => [c.name, c.context.cluster, c.context.user])).toEqual([
            ["infra", "infra", "admin@infra"],
            ["apps", "apps", "admin@apps"],
        ]);
    });

    test("takes each cluster's server and credentials from its source's current context", () => {
        expect(merged.clusters).toEqual([
            { name: "infra", cluster: { server: "https://infra.example.test:6443", "certificate-authority-data": "ca-infra" } },
            { name: "apps", cluster: { server: "https://apps.example.test:6443", "certificate-authority-data": "ca-apps" } },
        ]);
        expect(merged.users).toEqual([
            { name: "admin@infra", user: { "client-certificate-data": "cert-infra", "client-key-data": "key-infra" } },
            { name: "admin@apps", user: { "client-certificate-data": "cert-apps", "client-key-data": "key-apps" } },
        ]);
    });

    test("keeps a source's namespace, and uses default where it has none", () => {
        expect(merged.contexts.map((c: { context: { namespace: string } }) => c.context.namespace)).toEqual(["default", "flux-system"]);
    });

    test("makes the requested cluster current", () => {
        expect(merged["current-context"]).toBe("apps");
        expect(currentContext(mergeKubeconfigs(sources, "infra")).cluster.server).toBe("https://infra.example.test:6443");
    });

    test("refuses a current context that is not among the sources", () => {
        expect(() => mergeKubeconfigs(sources, "edge")).toThrow("current context edge is not one of the merged clusters");
    });
});
