import { CHARTS } from "../planners/charts";
import { credentialsAt } from "./credentials";
import { type Leaf, leaves, type Policy, type PolicyResource, read, readPath, type ReportViolation, type ResourceValidationPolicy, type StackValidationPolicy, UNKNOWN, urnType } from "./types";

/**
 * The platform's policy pack: what must hold for the real engine too, checked by
 * `pulumi preview --policy-pack policy` in the PR preview (README, "Policies in the PR preview").
 * Pure: importing this module registers nothing; index.ts builds the pack from `policies`.
 *
 * Secrets arrive unwrapped in `props`, so no message ever contains a value: messages name the
 * resource, the path and the kind of problem.
 */

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const K8S_PROVIDER = "pulumi:providers:kubernetes";
/** The cluster's etcd bootstrap: every in-cluster object's `deletedWith` anchor (components/talos-cluster.ts). */
const CLUSTER_ANCHOR = "talos:machine/bootstrap:Bootstrap";
/** The cluster PKI and the mesh CA: replacing any of them re-keys a running cluster or the mesh. */
const PKI_TYPES = ["talos:machine/secrets:Secrets", "tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert"];

/** An object the Kubernetes provider manages in the cluster (the provider itself is `pulumi:providers:kubernetes`). */
const isInCluster = (type: string) => type.startsWith("kubernetes:");

// --- helm-release-pinned ---------------------------------------------------------------------

/** An exact SemVer 2.0 version, with the optional `v` some charts use (cert-manager `v1.19.1`). */
const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * Where a chart comes from, comparable: `scheme://host/path` without a trailing slash; undefined for
 * anything that is not a plain URL (credentials, query or fragment in it, or not a URL at all).
 */
export function repositoryLocation(url: string): string | undefined {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        return undefined;
    }
    if (u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "" || u.host === "") return undefined;
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, "")}`;
}

/** The repository of an `oci://host/path/<chart>` reference: the reference without its chart name. */
function ociRepository(chart: string): string {
    return chart.slice(0, chart.lastIndexOf("/"));
}

/** The repository locations of the program's chart catalog (planners/charts.ts): the default allow-list. */
export const CATALOG_REPOSITORIES: string[] = [...new Set(Object.values(CHARTS).map((c) => repositoryLocation("repo" in c ? c.repo : ociRepository(c.chart))!))].sort();

/** Configuration of `helm-release-pinned` (`--policy-pack-config`). */
export interface HelmReleasePinnedConfig {
    /** Repository locations allowed besides the catalog's, e.g. `oci://ghcr.io/my-org/charts`. */
    additionalRepositories?: string[];
}

function isAllowed(location: string, allowed: string[]): boolean {
    return allowed.some((a) => location === a || location.startsWith(`${a}/`));
}

export const helmReleasePinned: ResourceValidationPolicy = {
    name: "helm-release-pinned",
    description:
        "Every Helm release is pinned to one exact chart version and comes from an allowed repository: the program's chart catalog (planners/charts.ts) plus `additionalRepositories`.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            additionalRepositories: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Repository locations (https://host/path or oci://host/path) allowed besides the chart catalog's; a location allows everything under it.",
            },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== RELEASE) return;
        const what = `Helm release ${args.name}`;
        const version = read(args.props, "version");
        if (version !== UNKNOWN && (typeof version !== "string" || !EXACT_VERSION.test(version))) {
            report(`${what}: \`version\` is not one exact chart version (empty, a range, a wildcard or a tag such as latest). Pin it in planners/charts.ts or platform:charts.`);
        }
        const chart = read(args.props, "chart");
        const repo = readPath(args.props, "repositoryOpts", "repo");
        if (chart === UNKNOWN || repo === UNKNOWN) return;
        const config = args.getConfig<HelmReleasePinnedConfig>();
        const allowed = [...CATALOG_REPOSITORIES, ...(config.additionalRepositories ?? []).map((r) => repositoryLocation(r) ?? r)];
        let location: string | undefined;
        if (typeof chart === "string" && chart.startsWith("oci://")) {
            location = repositoryLocation(ociRepository(chart));
        } else if (typeof chart !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart)) {
            return report(`${what}: \`chart\` is neither a chart name nor an oci:// reference (a local path, an archive URL or a repo/chart alias depends on the runner's files).`);
        } else if (typeof repo !== "string" || repo === "") {
            return report(`${what}: no \`repositoryOpts.repo\`, so Helm would resolve the chart from the runner's local repository list.`);
        } else {
            location = repositoryLocation(repo);
        }
        if (location === undefined) {
            report(`${what}: the repository is not a plain https:// or oci:// URL (credentials, a query or a fragment in it).`);
        } else if (!isAllowed(location, allowed)) {
            report(`${what}: the repository is not in the allowed list (the chart catalog in planners/charts.ts, plus the policy's additionalRepositories).`);
        }
    },
};

// --- no-plaintext-credentials ----------------------------------------------------------------

/**
 * The only secret leaf the program puts into Helm values (DESIGN §4): Cilium's shared CA key,
 * passed as `pulumi.secret`, because the chart takes the CA only as values. tests/policy.test.ts
 * checks that it is exactly the leaf the program marks secret.
 */
const SECRET_VALUE_LEAVES: { chart: RegExp; path: string }[] = [{ chart: /^(cilium|oci:\/\/.+\/cilium)$/, path: "tls.ca.key" }];

function isDocumentedSecretLeaf(chart: unknown, leaf: Leaf): boolean {
    return typeof chart === "string" && SECRET_VALUE_LEAVES.some((s) => s.chart.test(chart) && leaf.path.join(".") === s.path);
}

export const noPlaintextCredentials: ResourceValidationPolicy = {
    name: "no-plaintext-credentials",
    description:
        "No credential-looking value (PEM private key, GitHub/1Password/AWS token, URL with a password, value under a password/token/secret-named key) in Helm values, ConfigMap data or annotations: credentials go into Kubernetes Secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isInCluster(args.type)) return;
        const places: { where: string; leaves: Leaf[]; decode?: boolean }[] = [{ where: "metadata.annotations", leaves: leaves(readPath(args.props, "metadata", "annotations")) }];
        if (args.type === CONFIG_MAP) {
            places.push({ where: "data", leaves: leaves(read(args.props, "data")) });
            places.push({ where: "binaryData", leaves: leaves(read(args.props, "binaryData")), decode: true });
        }
        if (args.type === RELEASE) {
            const chart = read(args.props, "chart");
            places.push({ where: "values", leaves: leaves(read(args.props, "values")).filter((l) => !isDocumentedSecretLeaf(chart, l)) });
        }
        for (const place of places) {
            for (const leaf of place.leaves) {
                const key = leaf.path[leaf.path.length - 1] ?? "";
                const value = place.decode && typeof leaf.value === "string" ? Buffer.from(leaf.value, "base64").toString("latin1") : leaf.value;
                for (const kind of credentialsAt(key, value)) {
                    report(`${args.type.split(":").pop()} ${args.name}: ${place.where}.${leaf.path.join(".")} holds ${kind}. Put it in a Kubernetes Secret and reference the Secret by name.`);
                }
            }
        }
    },
};

// --- in-cluster-deleted-with-cluster ---------------------------------------------------------

/** Why `in-cluster-deleted-with-cluster` cannot run on today's engines. */
export const DELETED_WITH_INVISIBLE =
    "the engine passes no deletedWith to policies (AnalyzerResourceOptions has none up to Pulumi 3.276.0, and @pulumi/policy 1.21.0 maps none), so no in-cluster object shows one; tests/policy.test.ts checks it against the program's recorded registrations instead";

const inCluster = (resources: PolicyResource[]) => resources.filter((r) => isInCluster(r.type));
/** Whether this engine shows deletedWith at all: once it does, at least one in-cluster object carries it. */
const deletedWithVisible = (resources: PolicyResource[]) => inCluster(resources).some((r) => typeof r.opts.deletedWith === "string" && r.opts.deletedWith !== "");

export const inClusterDeletedWithCluster: StackValidationPolicy = {
    name: "in-cluster-deleted-with-cluster",
    description: `Every in-cluster object (kubernetes:*) is deletedWith the cluster (its ${CLUSTER_ANCHOR}), so destroying the cluster never calls a dead API.`,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const objects = inCluster(args.resources);
        if (objects.length === 0) return;
        if (!deletedWithVisible(args.resources)) args.notApplicable(DELETED_WITH_INVISIBLE);
        for (const r of objects) {
            const anchor = r.opts.deletedWith;
            if (typeof anchor !== "string" || anchor === "") {
                report(`${r.type} ${r.name} has no deletedWith: a destroy of the cluster would call its API to delete it.`, r.urn);
            } else if (urnType(anchor) !== CLUSTER_ANCHOR) {
                report(`${r.type} ${r.name} is deletedWith a ${urnType(anchor)}, not the cluster's ${CLUSTER_ANCHOR}.`, r.urn);
            }
        }
    },
};

/** The honest half of the check above, visible in every preview while engines hide deletedWith. */
export const deletedWithVisibleToPolicies: StackValidationPolicy = {
    name: "deleted-with-visible-to-policies",
    description: "Says so when this engine does not pass deletedWith to policies, so in-cluster-deleted-with-cluster could not check anything.",
    enforcementLevel: "advisory",
    validateStack: (args, report) => {
        const objects = inCluster(args.resources);
        if (objects.length > 0 && !deletedWithVisible(args.resources)) {
            report(`in-cluster-deleted-with-cluster did not check ${objects.length} in-cluster objects: ${DELETED_WITH_INVISIBLE}.`);
        }
    },
};

// --- pki-protected ---------------------------------------------------------------------------

export const pkiProtected: ResourceValidationPolicy = {
    name: "pki-protected",
    description: "The Talos machine secrets and the mesh CA (every tls PrivateKey and SelfSignedCert) are protected: losing them loses the cluster or re-keys the mesh.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (PKI_TYPES.includes(args.type) && args.opts.protect !== true) {
            report(`${args.type} ${args.name} is not protected; \`pulumi destroy\` or a replacement would delete it (set protect: true).`);
        }
    },
};

// --- no-ambient-kubeconfig -------------------------------------------------------------------

/** The engine's default providers are named `default` or `default_<version>`. */
const isDefaultProvider = (name: string) => /^default(_|$)/.test(name);
/** A kubeconfig document (YAML or JSON) rather than a path to one on the runner. */
const KUBECONFIG_DOCUMENT = /(^|\n)\s*clusters\s*:|"clusters"\s*:/;

function checkKubernetesProvider(name: string, urn: string, kubeconfig: unknown, report: ReportViolation): void {
    if (isDefaultProvider(name)) {
        report(`pulumi:providers:kubernetes ${name} is a default provider, configured from the runner's KUBECONFIG or ~/.kube/config; set pulumi:disable-default-providers: [kubernetes].`, urn);
    } else if (kubeconfig === UNKNOWN) {
        return; // computed from another resource (the cluster's kubeconfig): explicit.
    } else if (typeof kubeconfig !== "string" || kubeconfig.trim() === "") {
        report(`pulumi:providers:kubernetes ${name} has no kubeconfig, so it falls back to the runner's KUBECONFIG or ~/.kube/config.`, urn);
    } else if (!KUBECONFIG_DOCUMENT.test(kubeconfig)) {
        report(`pulumi:providers:kubernetes ${name}: kubeconfig is not a kubeconfig document (a path reads whatever file the runner has there).`, urn);
    }
}

export const noAmbientKubeconfig: ResourceValidationPolicy = {
    name: "no-ambient-kubeconfig",
    description:
        "Every Kubernetes provider has an explicit kubeconfig document, and every in-cluster object uses such a provider, never a default provider configured from the runner's environment.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type === K8S_PROVIDER) return checkKubernetesProvider(args.name, args.urn, read(args.props, "kubeconfig"), report);
        if (!isInCluster(args.type)) return;
        const p = args.provider;
        if (p === undefined || p.type !== K8S_PROVIDER) {
            report(`${args.type} ${args.name} has no Kubernetes provider of its own.`);
        } else if (isDefaultProvider(p.name)) {
            report(`${args.type} ${args.name} uses the default Kubernetes provider (${p.name}), configured from the runner's KUBECONFIG or ~/.kube/config; pass the cluster's provider.`);
        }
    },
};

/** The pack's policies, in the order the README lists them. */
export const policies: Policy[] = [helmReleasePinned, noPlaintextCredentials, inClusterDeletedWithCluster, deletedWithVisibleToPolicies, pkiProtected, noAmbientKubeconfig];
