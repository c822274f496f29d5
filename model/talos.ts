/**
 * The Talos minors this program can run, with the Pulumiverse Talos provider release that
 * generates their machine configs and the Kubernetes minors each supports. Sources:
 * pulumiverse/pulumi-talos provider/go.mod at v0.6.1/v0.7.1/v0.8.1 (machinery 1.11/1.12/1.13);
 * siderolabs/talos website/content/v1.1x/introduction/support-matrix.md (1.13: docs.siderolabs.com).
 * Renovate moves each provider release within its own line only (0.6.x stays 0.6.x); a new Talos
 * minor is a new entry here, added by hand with its support matrix.
 */
export const TALOS_RELEASES = {
    // renovate: datasource=github-releases depName=pulumiverse/pulumi-talos extractVersion=^v(?<version>.+)$
    "1.11": { provider: "0.6.1", kubernetes: { min: 29, max: 34 } },
    // renovate: datasource=github-releases depName=pulumiverse/pulumi-talos extractVersion=^v(?<version>.+)$
    "1.12": { provider: "0.7.1", kubernetes: { min: 30, max: 35 } },
    // renovate: datasource=github-releases depName=pulumiverse/pulumi-talos extractVersion=^v(?<version>.+)$
    "1.13": { provider: "0.8.1", kubernetes: { min: 31, max: 36 } },
} as const;

export type TalosMinor = keyof typeof TALOS_RELEASES;
