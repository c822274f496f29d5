import * as op from "@1password/pulumi-onepassword";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONNECT_TOKEN_KEY, CONNECT_TOKEN_SECRET, EXTERNAL_SECRETS_NAMESPACE, GIT_CREDENTIALS_SECRET, SECRET_STORE_NAME } from "../planners/constants";
import type { GitOps, ItemFieldRef, OnePasswordSettings } from "../model";
import { isVaultUuid, itemField, type OnePasswordItem } from "../planners/onepassword";

export interface OnePasswordBootstrapArgs {
    onepassword: OnePasswordSettings;
    /** Where the GitOps repository's HTTPS credentials live; unset for a public repository. */
    gitCredentials?: GitOps["credentials"];
    /** The 1Password provider (Connect) the items are read with. */
    provider: op.Provider;
    externalSecretsNamespace: k8s.core.v1.Namespace;
    fluxNamespace: k8s.core.v1.Namespace;
    /** The external-secrets release; its webhook must answer before a store is created. */
    externalSecrets: pulumi.Resource;
    deletedWith: pulumi.Resource;
}

/**
 * The secrets the cluster needs before it can fetch its own: reads the external-secrets Connect
 * token and the Git credentials from 1Password, writes them as Kubernetes Secrets (always secret,
 * never in Helm values), and creates the `onepassword` ClusterSecretStore once external-secrets
 * is running.
 */
export class OnePasswordBootstrap extends pulumi.ComponentResource {
    public readonly connectTokenSecret: k8s.core.v1.Secret;
    public readonly gitCredentialsSecret?: k8s.core.v1.Secret;
    public readonly clusterSecretStore: k8s.apiextensions.CustomResource;

    constructor(name: string, args: OnePasswordBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:OnePasswordBootstrap", name, {}, opts);
        const child = { parent: this, deletedWith: args.deletedWith };

        const invokeOpts = { parent: this, provider: args.provider };
        const items = new Map<string, pulumi.Output<OnePasswordItem>>();
        // Item fields come back from the provider NOT marked secret (plain invoke): wrap every value.
        const field = (ref: ItemFieldRef): pulumi.Output<string> => {
            const key = `${ref.vault}/${ref.item}`;
            if (!items.has(key)) {
                const vault = isVaultUuid(ref.vault) ? pulumi.output(ref.vault) : op.getVaultOutput({ name: ref.vault }, invokeOpts).uuid;
                items.set(key, op.getItemOutput({ vault, title: ref.item }, invokeOpts));
            }
            return pulumi.secret(items.get(key)!.apply((item) => itemField(item, ref)));
        };

        this.connectTokenSecret = new k8s.core.v1.Secret(
            `${name}-connect-token`,
            {
                metadata: { name: CONNECT_TOKEN_SECRET, namespace: args.externalSecretsNamespace.metadata.name },
                type: "Opaque",
                stringData: { [CONNECT_TOKEN_KEY]: field(args.onepassword.connectToken) },
            },
            child,
        );

        const credentials = args.gitCredentials;
        if (credentials) {
            this.gitCredentialsSecret = new k8s.core.v1.Secret(
                `${name}-git-credentials`,
                {
                    metadata: { name: GIT_CREDENTIALS_SECRET, namespace: args.fluxNamespace.metadata.name },
                    type: "Opaque",
                    stringData: { username: field(credentials.username), password: field(credentials.password) },
                },
                child,
            );
        }

        this.clusterSecretStore = new k8s.apiextensions.CustomResource(
            `${name}-cluster-secret-store`,
            {
                apiVersion: "external-secrets.io/v1",
                kind: "ClusterSecretStore",
                metadata: { name: SECRET_STORE_NAME },
                spec: {
                    provider: {
                        onepassword: {
                            connectHost: args.onepassword.connectHost,
                            vaults: args.onepassword.vaults,
                            auth: {
                                secretRef: {
                                    // A ClusterSecretStore's secret reference must name its namespace.
                                    connectTokenSecretRef: { name: this.connectTokenSecret.metadata.name, key: CONNECT_TOKEN_KEY, namespace: EXTERNAL_SECRETS_NAMESPACE },
                                },
                            },
                        },
                    },
                },
            },
            // The store is validated by the external-secrets webhook, which must be running.
            { ...child, dependsOn: [args.externalSecrets] },
        );

        this.registerOutputs({
            connectTokenSecret: this.connectTokenSecret,
            gitCredentialsSecret: this.gitCredentialsSecret,
            clusterSecretStore: this.clusterSecretStore,
        });
    }
}
