/**
 * A typed binding of the Pulumiverse Talos provider (`@pulumiverse/talos` is not on the npm
 * registry we can reach). Shaped like the upstream SDK, so replacing
 * `import * as talos from "../talos/provider"` with `import * as talos from "@pulumiverse/talos"`
 * (pinned to the same version) is the whole migration.
 */
export * as machine from "./machine";
export * as cluster from "./cluster";
export * as client from "./client";
export * as imagefactory from "./imagefactory";
export * from "./types";
export { PROVIDER_VERSION, PLUGIN_DOWNLOAD_URL } from "./utilities";
