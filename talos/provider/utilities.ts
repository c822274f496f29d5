/**
 * The one Talos provider release this binding targets. v0.6.1 wraps terraform-provider-talos
 * v0.9.0, whose Talos machinery is v1.11.0: its default config contract, installer and
 * Kubernetes defaults match Talos 1.11, which is what the clusters run. v0.8.x (machinery 1.13)
 * would work too but generates configs with a newer library than the nodes run, and its extras
 * (write-only client config, staged_if_needing_reboot) are not needed here; reset-on-destroy even
 * needs the client config kept in state.
 */
export const PROVIDER_VERSION = "0.6.1";

/** Where the engine downloads the plugin from on demand (GitHub releases of pulumiverse/pulumi-talos). */
export const PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumiverse";

/** Options every Talos resource and invoke carries, like the generated SDK's `resourceOptsDefaults`. */
export function resourceOptsDefaults(): { version: string; pluginDownloadURL: string } {
    return { version: PROVIDER_VERSION, pluginDownloadURL: PLUGIN_DOWNLOAD_URL };
}
