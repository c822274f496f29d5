import * as pulumi from "@pulumi/pulumi";
import type { KeyType, Subject } from "../lifecycle/issue-certificate";
import { renewalWarning } from "../planners/certificates";
import { checkoutProvider, PROJECT_DIR } from "./checkout-provider";

/** The certificate's provider: lifecycle/client-certificate.ts, loaded from the checkout at run time. */
const provider = checkoutProvider("lifecycle/client-certificate.ts");

export interface ClientCertificateArgs {
    /** The issuing CA's certificate, base64 of PEM (machine secrets `certs.os.cert` or `certs.k8s.cert`). */
    caCertificate: pulumi.Input<string>;
    /** The CA's private key, base64 of PEM (`certs.os.key` or `certs.k8s.key`); always treated as secret. */
    caKey: pulumi.Input<string>;
    /** e.g. `{ organizations: ["os:admin"] }` (Talos API), `{ commonName: "admin", organizations: ["system:masters"] }` (Kubernetes). */
    subject: pulumi.Input<Subject>;
    /** The new key's type; by default the CA's (Ed25519 for Talos' OS CA, ECDSA P-256 for the Kubernetes CA), as Talos does. */
    keyType?: pulumi.Input<KeyType>;
    /** Lifetime of each certificate issued, in hours (Talos uses 8760, one year). */
    validityHours: pulumi.Input<number>;
    /** Any `pulumi up` this many hours or fewer before the certificate expires renews it. */
    renewBeforeHours: pulumi.Input<number>;
}

/**
 * An admin client certificate issued from a cluster CA, with a new key, renewed (new key, new
 * certificate) by any `pulumi up` within `renewBeforeHours` of its expiry, or when the CA, subject,
 * key type or validity change. An old certificate is not revoked (neither Talos nor Kubernetes can):
 * it stays valid until it expires.
 */
export class ClientCertificate extends pulumi.dynamic.Resource {
    /** base64 of PEM. */
    declare public readonly certificate: pulumi.Output<string>;
    /** base64 of PEM (secret): `ED25519 PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1), as Talos writes them. */
    declare public readonly privateKey: pulumi.Output<string>;
    /** The CA certificate it was issued from (base64 of PEM), echoed. */
    declare public readonly caCertificate: pulumi.Output<string>;
    declare public readonly keyType: pulumi.Output<KeyType>;
    /** ISO 8601. During preview, the planned validity of a certificate about to be issued. */
    declare public readonly notBefore: pulumi.Output<string>;
    declare public readonly notAfter: pulumi.Output<string>;
    /**
     * Known only during a preview that renews the certificate because it is due: the notAfter of the
     * certificate being renewed (unknown or undefined otherwise). The program warns with it.
     */
    declare public readonly expiring: pulumi.Output<string | undefined>;
    declare public readonly renewBeforeHours: pulumi.Output<number>;

    constructor(name: string, args: ClientCertificateArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                projectDir: PROJECT_DIR,
                caCertificate: args.caCertificate,
                caKey: pulumi.secret(args.caKey),
                subject: args.subject,
                keyType: args.keyType,
                validityHours: args.validityHours,
                renewBeforeHours: args.renewBeforeHours,
                certificate: undefined,
                privateKey: undefined,
                notBefore: undefined,
                notAfter: undefined,
                expiring: undefined,
            },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] }),
        );
    }
}

/**
 * Warns (pulumi.log.warn, on the certificate) during a preview that renews `certificate` because it
 * expires within its window: "the <name> client certificate expires on <date> (in N days), within
 * the renewal window of <window>: run pulumi up to renew it". `expiring` is known only then; at any
 * other time this does nothing. Returns the Output so tests can await it.
 */
export function warnWhenRenewing(certificate: ClientCertificate, name: string): pulumi.Output<void> {
    return pulumi.all([certificate.expiring, certificate.renewBeforeHours]).apply(([expiring, renewBeforeHours]) => {
        if (!expiring) return;
        const warning = renewalWarning({ name, notAfter: expiring, renewBeforeHours, now: new Date() });
        if (warning) void pulumi.log.warn(warning, certificate);
    });
}
