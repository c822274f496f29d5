/**
 * The provider release a resource or invoke gets when its options name none: v0.6.1, the release
 * whose schema this binding was checked against (tests/talos-binding.test.ts). The program never
 * relies on it: TalosCluster passes the release of the cluster's Talos minor (model/talos.ts
 * TALOS_RELEASES, which Renovate keeps current), because each release generates machine configs
 * with its own Talos machinery.
 */
export const PROVIDER_VERSION = "0.6.1";

/** Where the engine downloads the plugin from on demand (GitHub releases of pulumiverse/pulumi-talos). */
export const PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumiverse";

/** Options every Talos resource and invoke carries, like the generated SDK's `resourceOptsDefaults`. */
export function resourceOptsDefaults(): { version: string; pluginDownloadURL: string } {
    return { version: PROVIDER_VERSION, pluginDownloadURL: PLUGIN_DOWNLOAD_URL };
}
