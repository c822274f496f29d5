/**
 * Names that both the resources and the `cluster-settings` ConfigMap refer to, so that Flux's
 * manifests and the bootstrap can never disagree about them.
 */

/** Namespace of Flux, the flux-operator and the cluster-settings ConfigMap. */
export const FLUX_NAMESPACE = "flux-system";

/** Namespace of external-secrets and of the 1Password Connect token Secret. */
export const EXTERNAL_SECRETS_NAMESPACE = "external-secrets";

/** The ClusterSecretStore backed by 1Password Connect. */
export const SECRET_STORE_NAME = "onepassword";

/** Secret (in EXTERNAL_SECRETS_NAMESPACE) holding the Connect token, and its key. */
export const CONNECT_TOKEN_SECRET = "onepassword-connect-token";
export const CONNECT_TOKEN_KEY = "token";

/** Secret (in FLUX_NAMESPACE) with the GitOps repository credentials (keys username/password). */
export const GIT_CREDENTIALS_SECRET = "flux-git-credentials";

/** CoreDNS replicas: two, so a node reboot never takes cluster DNS down. */
export const COREDNS_REPLICAS = 2;
