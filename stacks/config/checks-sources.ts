import { REDACTED, type Problems } from "../../model";
import { CHARTS, isChartKey } from "../../planners/charts";
import { derivedClusterSettings, type ClusterSettingsInputs } from "../../planners/cluster-settings";
import { kubernetesSupportProblem, SUPPORTED_TALOS_MINORS, talosRelease } from "../../planners/versions";
import { settingCredentials } from "./credentials";
import { failed, need, type PlatformParts } from "./parts";

/**
 * Checks of where things come from: Talos, Kubernetes and Flux versions, chart overrides, the
 * GitOps repository, and the extra cluster-settings keys.
 */

const P = "platform:";

/**
 * Talos 1.11, 1.12 and 1.13 run, each with the provider release that generates its configs, and
 * Kubernetes within the range that Talos minor supports (model/talos.ts). Whether the change from
 * the running versions is one allowed step is the rollout plan's check (planners/rollout.ts).
 */
export function checkVersions(cfg: PlatformParts, problems: Problems): void {
    const talos = cfg.versions?.talos;
    if (talos === undefined) return;
    if (!talosRelease(talos)) {
        problems.add(
            `${P}versions.talos`,
            talos,
            `must be a Talos ${SUPPORTED_TALOS_MINORS.join(", ")} release (this program pins a Talos provider release for each of those minors)`,
        );
        return;
    }
    const kubernetes = cfg.versions?.kubernetes;
    const unsupported = kubernetes === undefined ? undefined : kubernetesSupportProblem(talos, kubernetes);
    if (unsupported) problems.add(`${P}versions.kubernetes`, kubernetes, `is not supported: ${unsupported}`);
}

/**
 * The Flux minors each flux-operator minor's manifests artifact (`flux-operator-manifests:v<operator>`,
 * which the FluxInstance is pinned to) ships. Only 0.33 is listed: its manifests carry Flux 2.7.x,
 * which we know; whether they also carry older minors could not be verified offline, so they are
 * refused. For an operator minor not listed here (a `platform:charts.fluxOperator` override) the
 * check is skipped: add the minor here once its manifests are checked.
 */
export const FLUX_MINORS_BY_OPERATOR: Record<string, readonly string[]> = {
    "0.33": ["2.7"],
};

export function checkFlux(cfg: PlatformParts, problems: Problems): void {
    const version = cfg.versions?.flux;
    const override = cfg.charts?.fluxOperator;
    // Which operator runs is unknown when its override's version did not parse.
    if (version === undefined || cfg.charts === undefined || failed(override, "version")) return;
    const operator = (override?.version ?? CHARTS.fluxOperator.version).replace(/^v/, "");
    const minors = FLUX_MINORS_BY_OPERATOR[minorOf(operator)];
    const flux = version.replace(/^v/, "");
    if (minors && !minors.includes(minorOf(flux))) {
        problems.add(
            `${P}versions.flux`,
            version,
            `is not shipped by flux-operator ${operator} (its manifests carry Flux ${minors.map((m) => `${m}.x`).join(", ")}); pick one of those, or override platform:charts.fluxOperator with an operator release that ships it`,
        );
    }
}

function minorOf(version: string): string {
    return version.split(".").slice(0, 2).join(".");
}

/**
 * Chart overrides. A classic chart (a name in an https:// repository) takes an https:// `repo`
 * (a mirror of that repository). An OCI chart takes an oci:// `repo`, which replaces its whole
 * reference and must end in the chart's name. Any other mix would reach Helm and fail there.
 */
export function checkCharts(cfg: PlatformParts, problems: Problems): void {
    for (const [key, override] of Object.entries(cfg.charts ?? {})) {
        if (override === undefined) continue;
        const at = `${P}charts.${key}`;
        if (!isChartKey(key)) {
            problems.add(at, override, `is not a chart this program installs; known charts: ${Object.keys(CHARTS).join(", ")}`);
            continue;
        }
        if (override.repo === undefined) continue;
        const pinned = CHARTS[key];
        const oci = pinned.chart.startsWith("oci://");
        const name = pinned.chart.split("/").pop()!;
        if (oci && !override.repo.startsWith("oci://")) {
            problems.add(`${at}.repo`, override.repo, `is not an OCI reference, but ${key} is an OCI chart (${pinned.chart}); give its full oci:// reference, ending in /${name}`);
        } else if (oci && override.repo.replace(/\/+$/, "").split("/").pop() !== name) {
            problems.add(`${at}.repo`, override.repo, `must be the full reference of the chart, ending in /${name} (an OCI override replaces ${pinned.chart} whole)`);
        } else if (!oci && override.repo.startsWith("oci://")) {
            problems.add(`${at}.repo`, override.repo, `is an OCI reference, but ${key} is chart "${name}" from a Helm repository (${"repo" in pinned ? pinned.repo : ""}); give an https:// Helm repository that serves it`);
        }
    }
}

export function checkGitOps(cfg: PlatformParts, problems: Problems): void {
    const gitops = need(cfg.gitops, "url", "credentials");
    if (gitops !== undefined && !gitops.url.startsWith("https://")) {
        problems.add(`${P}gitops.url`, gitops.url, "must be an https:// URL when gitops.credentials (username/password) are set");
    }
}

/**
 * Extra cluster-settings keys must not shadow a derived one, nor hold a credential: the ConfigMap
 * is plain text in the cluster (a value is refused by its key's name or its shape, never printed). The derived keys are computed from
 * whatever parsed (the per-cluster pool keys need the cluster name and the peers), so this check
 * reports in the same run as every other problem.
 */
export function checkClusterSettings(cfg: PlatformParts, problems: Problems): void {
    const probe = {
        cluster: { name: cfg.cluster?.name ?? "", id: 0 },
        network: {},
        cilium: { lbPool: {} },
        // Only the keys matter: every chart of the catalog names its own.
        charts: CHARTS,
        clustermesh: { peers: (cfg.clustermesh?.peers ?? []).filter((p) => p?.name !== undefined) },
        bgp: {},
        onepassword: {},
    } as unknown as ClusterSettingsInputs;
    const derived = new Set(Object.keys(derivedClusterSettings(probe)).filter((k) => !k.startsWith("_")));
    for (const [key, value] of Object.entries(cfg.clusterSettings ?? {})) {
        if (value === undefined) continue;
        if (derived.has(key)) {
            problems.add(`${P}clusterSettings.${key}`, value, "is derived from the stack config and cannot be set here; change the setting it comes from");
        }
        const credentials = settingCredentials(key, value);
        if (credentials.length > 0) {
            problems.add(
                `${P}clusterSettings.${key}`,
                REDACTED,
                `looks like a credential (${credentials.join(", ")}); cluster-settings is a plain-text ConfigMap (and the value would sit in the stack file and Pulumi state): keep it in 1Password and let an ExternalSecret put it in a Secret; remove the key (and rotate the value if it was ever pushed)`,
            );
        }
    }
}
