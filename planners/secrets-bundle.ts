import type { Certificate, MachineSecrets } from "../talos/provider/types";

/**
 * The cluster's machine secrets in the two shapes they travel in: the provider's `machineSecrets`
 * object and Talos' own `secrets.yaml` bundle (`talosctl gen secrets`), which talosctl reads.
 */

/**
 * A fresh plain copy with exactly the provider's keys: passing the provider's nested object straight
 * through has failed to marshal (pulumiverse/pulumi-talos#80, #103, #200).
 */
export function copyMachineSecrets(s: MachineSecrets): MachineSecrets {
    const cert = (c: Certificate) => ({ cert: c.cert, key: c.key });
    return {
        certs: {
            etcd: cert(s.certs.etcd),
            k8s: cert(s.certs.k8s),
            k8sAggregator: cert(s.certs.k8sAggregator),
            k8sServiceaccount: { key: s.certs.k8sServiceaccount.key },
            os: cert(s.certs.os),
        },
        cluster: { id: s.cluster.id, secret: s.cluster.secret },
        secrets: {
            bootstrapToken: s.secrets.bootstrapToken,
            secretboxEncryptionSecret: s.secrets.secretboxEncryptionSecret,
            ...(s.secrets.aescbcEncryptionSecret ? { aescbcEncryptionSecret: s.secrets.aescbcEncryptionSecret } : {}),
        },
        trustdinfo: { token: s.trustdinfo.token },
    };
}
