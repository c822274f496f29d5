/** Ports fixed by Talos and Cilium, which the configuration derives from but never sets. */

/** ClusterMesh API server port; fixed by the Cilium chart's clustermesh-apiserver Service. */
export const CLUSTERMESH_PORT = 2379;

/** KubePrism's port on every Talos node (Talos' default since 1.6). */
export const KUBEPRISM_PORT = 7445;
