import type * as pulumi from "@pulumi/pulumi";

/**
 * Object types of the Talos provider schema (`talos:machine/generated:*` and friends). Every
 * certificate and key is base64-encoded PEM. Key spelling is the provider's, e.g.
 * `k8sServiceaccount` and `trustdinfo`.
 */

/** Admin client credentials for the Talos API (`talos:machine/generated:ClientConfiguration`). */
export interface ClientConfiguration {
    caCertificate: string;
    clientCertificate: string;
    /** Secret. */
    clientKey: string;
}

export interface Certificate {
    cert: string;
    key: string;
}

/** The cluster PKI and tokens (`talos:machine/generated:MachineSecrets`). */
export interface MachineSecrets {
    certs: {
        etcd: Certificate;
        k8s: Certificate;
        k8sAggregator: Certificate;
        k8sServiceaccount: { key: string };
        os: Certificate;
    };
    cluster: { id: string; secret: string };
    secrets: { bootstrapToken: string; secretboxEncryptionSecret: string; aescbcEncryptionSecret?: string };
    trustdinfo: { token: string };
}

/** `talos:machine/Timeout:Timeout` (Go durations). */
export interface Timeout {
    create?: pulumi.Input<string>;
    update?: pulumi.Input<string>;
    delete?: pulumi.Input<string>;
}

/** `talos:machine/ConfigurationApplyOnDestroy`. Only `reset: true` does anything on the node. */
export interface ConfigurationApplyOnDestroy {
    reset?: pulumi.Input<boolean>;
    graceful?: pulumi.Input<boolean>;
    reboot?: pulumi.Input<boolean>;
}

/** Kubernetes client credentials from the Kubeconfig resource. */
export interface KubernetesClientConfiguration {
    host: string;
    caCertificate: string;
    clientCertificate: string;
    clientKey: string;
}
