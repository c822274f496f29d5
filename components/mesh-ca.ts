import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface MeshCaArgs {
    /** Cluster that owns the CA (for its subject). */
    clusterName: string;
}

/** Ten years: the CA outlives both clusters' rebuilds; Cilium re-issues leaf certificates from it. */
export const MESH_CA_VALIDITY_HOURS = 10 * 365 * 24;

/**
 * The Cilium CA both clusters share (`tls.ca`), so each side's ClusterMesh certificates are
 * trusted by the other without exchanging per-cluster secrets in both directions. Generated once
 * and kept in state; protected like the Talos PKI because replacing it means re-keying the mesh.
 */
export class MeshCa extends pulumi.ComponentResource {
    /** CA certificate, PEM (public). */
    public readonly certPem: pulumi.Output<string>;
    /** CA private key, PEM (secret). */
    public readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: MeshCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:MeshCa", name, {}, opts);
        const child = { parent: this, protect: true };
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 4096 }, child);
        const cert = new tls.SelfSignedCert(
            `${name}-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: "Cilium CA", organization: `platform ${args.clusterName}` },
                isCaCertificate: true,
                validityPeriodHours: MESH_CA_VALIDITY_HOURS,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            },
            child,
        );
        this.certPem = cert.certPem;
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ certPem: this.certPem, keyPem: this.keyPem });
    }
}
