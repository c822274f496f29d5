import * as crypto from "crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn from "@peculiar/asn1-x509";
import { toPem } from "../../lifecycle/issue-certificate";

/**
 * Throwaway cluster CAs in the forms Talos' machine secrets hold them: the OS CA (Ed25519, O=talos,
 * key as "ED25519 PRIVATE KEY" with PKCS#8 inside) and the Kubernetes CA (ECDSA P-256,
 * O=kubernetes, key as "EC PRIVATE KEY", SEC1). Names are PrintableStrings and the CA carries a
 * subject key identifier, as Go writes them. Values are base64 of PEM, like the provider's.
 */
export interface TestCa {
    /** base64 of PEM, as machine secrets `certs.<ca>.cert` / `.key` hold them. */
    cert: string;
    key: string;
    certPem: string;
    keyPem: string;
    publicKey: crypto.KeyObject;
}

export type CaKind = "ed25519" | "ecdsa-p256" | "rsa";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const ab = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function ext(id: string, critical: boolean, value: unknown): asn.Extension {
    return new asn.Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export function makeCa(kind: CaKind, options: { organization?: string; subjectKeyId?: boolean } = {}): TestCa {
    const pair =
        kind === "ed25519" ? crypto.generateKeyPairSync("ed25519")
        : kind === "ecdsa-p256" ? crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" })
        : crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const organization = options.organization ?? (kind === "ed25519" ? "talos" : "kubernetes");
    const name = new asn.Name([new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type: "2.5.4.10", value: new asn.AttributeValue({ printableString: organization }) })])]);
    const algorithm =
        kind === "ed25519" ? new asn.AlgorithmIdentifier({ algorithm: "1.3.101.112" })
        : kind === "ecdsa-p256" ? new asn.AlgorithmIdentifier({ algorithm: "1.2.840.10045.4.3.2" })
        : new asn.AlgorithmIdentifier({ algorithm: "1.2.840.113549.1.1.11", parameters: null });
    const spki = AsnConvert.parse(pair.publicKey.export({ type: "spki", format: "der" }), asn.SubjectPublicKeyInfo);
    const extensions = [ext(asn.id_ce_basicConstraints, true, new asn.BasicConstraints({ cA: true })), ext(asn.id_ce_keyUsage, true, new asn.KeyUsage(asn.KeyUsageFlags.keyCertSign | asn.KeyUsageFlags.digitalSignature))];
    if (options.subjectKeyId !== false) extensions.push(ext(asn.id_ce_subjectKeyIdentifier, false, new asn.SubjectKeyIdentifier(crypto.createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest())));
    const now = Date.now();
    const tbs = new asn.TBSCertificate({
        version: asn.Version.v3,
        serialNumber: ab(Buffer.from([0x01, ...crypto.randomBytes(8)])),
        signature: algorithm,
        issuer: name,
        subject: name,
        validity: new asn.Validity({ notBefore: new Date(now - 3600_000), notAfter: new Date(now + 10 * 365 * 24 * 3600_000) }),
        subjectPublicKeyInfo: spki,
        extensions: new asn.Extensions(extensions),
    });
    const der = Buffer.from(AsnConvert.serialize(tbs));
    const signature = kind === "ed25519" ? crypto.sign(null, der, pair.privateKey) : crypto.sign("sha256", der, pair.privateKey);
    const certPem = toPem("CERTIFICATE", Buffer.from(AsnConvert.serialize(new asn.Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: ab(signature) }))));
    const keyPem =
        kind === "ed25519" ? toPem("ED25519 PRIVATE KEY", pair.privateKey.export({ type: "pkcs8", format: "der" }))
        : kind === "ecdsa-p256" ? (pair.privateKey.export({ type: "sec1", format: "pem" }) as string)
        : (pair.privateKey.export({ type: "pkcs1", format: "pem" }) as string);
    return { cert: b64(certPem), key: b64(keyPem), certPem, keyPem, publicKey: pair.publicKey };
}

/** The extensions of a certificate (PEM): id → { critical, value DER }. */
export function extensionsOf(certPem: string): Map<string, { critical: boolean; value: ArrayBuffer }> {
    const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s+/g, ""), "base64");
    const cert = AsnConvert.parse(der, asn.Certificate);
    return new Map((cert.tbsCertificate.extensions ?? []).map((e) => [e.extnID, { critical: e.critical, value: e.extnValue.buffer }]));
}

/** The certificate's signature algorithm OID. */
export function signatureAlgorithmOf(certPem: string): string {
    const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s+/g, ""), "base64");
    return AsnConvert.parse(der, asn.Certificate).signatureAlgorithm.algorithm;
}
