import * as crypto from "crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn from "@peculiar/asn1-x509";

/**
 * Issues X.509 v3 client certificates from a Talos-style CA, the way Talos' own machinery does
 * (siderolabs/crypto `NewKeyPair`): the new key follows the CA's key type, the issuer is the CA's
 * subject byte for byte, and keys are written with Talos' PEM labels. Node 20 can make keys and
 * signatures but not certificates, so the certificate structure is encoded with
 * @peculiar/asn1-x509 (the X.509 ASN.1 schema) and signed with Node's crypto.
 */

/** Key types of an issued certificate: Ed25519 (Talos' OS CA) and ECDSA P-256 (the Kubernetes CA). */
export type KeyType = "ed25519" | "ecdsa-p256";
export const KEY_TYPES: readonly KeyType[] = ["ed25519", "ecdsa-p256"];

export interface Subject {
    commonName?: string;
    organizations: string[];
}

export interface IssueRequest {
    /** The CA certificate and its private key, as PEM text. */
    caCertificate: string;
    caKey: string;
    subject: Subject;
    keyType: KeyType;
    notBefore: Date;
    notAfter: Date;
}

export interface Issued {
    /** PEM text. */
    certificate: string;
    /** PEM text: `ED25519 PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1), as Talos writes them. */
    privateKey: string;
    serialNumber: string;
}

const OID = {
    ed25519: "1.3.101.112",
    ecdsaWithSha256: "1.2.840.10045.4.3.2",
    organization: "2.5.4.10",
    commonName: "2.5.4.3",
};

/** The first PEM block: its label and DER content. */
export function pemBlock(pem: string): { label: string; der: Buffer } {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
    if (!m) throw new Error("holds no PEM block");
    return { label: m[1], der: Buffer.from(m[2].replace(/\s+/g, ""), "base64") };
}

export function toPem(label: string, der: Buffer): string {
    const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A private key in any of the PEM forms Talos writes: `ED25519 PRIVATE KEY`/`PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1). */
export function parsePrivateKey(pem: string): crypto.KeyObject {
    const { label, der } = pemBlock(pem);
    if (label === "ED25519 PRIVATE KEY" || label === "PRIVATE KEY") return crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    if (label === "EC PRIVATE KEY") return crypto.createPrivateKey({ key: der, format: "der", type: "sec1" });
    throw new Error(`holds a "${label}" block; expected ED25519 PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY`);
}

/** The key type of a public or private key, or undefined when it is neither Ed25519 nor ECDSA P-256. */
export function keyTypeOf(key: crypto.KeyObject): KeyType | undefined {
    if (key.asymmetricKeyType === "ed25519") return "ed25519";
    if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ecdsa-p256";
    return undefined;
}

/** Why `caKey` cannot sign for `caCertificate` (both PEM), or undefined when it can. */
export function caProblem(caCertificate: string, caKey: string): string | undefined {
    const cert = new crypto.X509Certificate(caCertificate);
    if (!cert.ca) return "the CA certificate is not a CA (basicConstraints CA:false)";
    const key = parsePrivateKey(caKey);
    if (!keyTypeOf(key)) return `the CA key is ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ""}; only Ed25519 and ECDSA P-256 CAs are supported`;
    const spki = (k: crypto.KeyObject) => k.export({ type: "spki", format: "der" });
    if (!spki(crypto.createPublicKey(key)).equals(spki(cert.publicKey))) return "the CA key does not belong to the CA certificate";
    return undefined;
}

/** Reads one DER element at `offset`: where its content starts and where the element ends. */
function element(der: Buffer, offset: number): { content: number; end: number } {
    const first = der[offset + 1];
    if (first < 0x80) return { content: offset + 2, end: offset + 2 + first };
    const n = first & 0x7f;
    let length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[offset + 2 + i];
    return { content: offset + 2 + n, end: offset + 2 + n + length };
}

/** The DER bytes of a certificate's subject (or, with `field: "issuer"`, its issuer), exactly as encoded. */
export function rawName(certificateDer: Buffer, field: "subject" | "issuer" = "subject"): Buffer {
    const tbs = element(certificateDer, element(certificateDer, 0).content);
    let at = tbs.content;
    if (certificateDer[at] === 0xa0) at = element(certificateDer, at).end; // [0] version
    at = element(certificateDer, at).end; // serialNumber
    at = element(certificateDer, at).end; // signature algorithm
    if (field === "subject") {
        at = element(certificateDer, at).end; // issuer
        at = element(certificateDer, at).end; // validity
    }
    return certificateDer.subarray(at, element(certificateDer, at).end);
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function attribute(type: string, value: string): asn.RelativeDistinguishedName {
    // PrintableString where it can be, like Go's encoder; UTF8String otherwise.
    const av = new asn.AttributeValue(PRINTABLE.test(value) ? { printableString: value } : { utf8String: value });
    return new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type, value: av })]);
}

function subjectName(subject: Subject): asn.Name {
    const rdns = subject.organizations.map((o) => attribute(OID.organization, o));
    if (subject.commonName) rdns.push(attribute(OID.commonName, subject.commonName));
    return new asn.Name(rdns);
}

function extension(id: string, critical: boolean, value: unknown): asn.Extension {
    return new asn.Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** The CA's subject key identifier, or (RFC 5280 method 1) the SHA-1 of its public key. */
function authorityKeyId(ca: asn.Certificate): Buffer {
    const ski = ca.tbsCertificate.extensions?.find((e) => e.extnID === asn.id_ce_subjectKeyIdentifier);
    if (ski) return Buffer.from(AsnConvert.parse(ski.extnValue.buffer, asn.SubjectKeyIdentifier).buffer);
    return crypto.createHash("sha1").update(Buffer.from(ca.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
}

function serialNumber(): Buffer {
    const serial = crypto.randomBytes(16);
    // Positive and minimally encoded: Go rejects non-minimal INTEGERs.
    serial[0] = serial[0] & 0x7f || 0x01;
    return serial;
}

const arrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/**
 * A new key of `keyType` and a client certificate for it, signed by the CA: serial, validity,
 * subject, issuer = the CA's subject, basicConstraints CA:false, keyUsage digitalSignature,
 * extKeyUsage clientAuth, subject and authority key identifiers.
 */
export function issueClientCertificate(req: IssueRequest): Issued {
    const problem = caProblem(req.caCertificate, req.caKey);
    if (problem) throw new Error(problem);
    const caDer = pemBlock(req.caCertificate).der;
    const ca = AsnConvert.parse(caDer, asn.Certificate);
    const caKey = parsePrivateKey(req.caKey);
    const issuerDer = rawName(caDer);
    const issuer = AsnConvert.parse(issuerDer, asn.Name);
    if (!Buffer.from(AsnConvert.serialize(issuer)).equals(issuerDer)) throw new Error("the CA's subject cannot be re-encoded byte for byte; refusing to issue a certificate that would not chain");

    const keys = req.keyType === "ed25519" ? crypto.generateKeyPairSync("ed25519") : crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const spki = AsnConvert.parse(keys.publicKey.export({ type: "spki", format: "der" }), asn.SubjectPublicKeyInfo);
    const signatureAlgorithm = new asn.AlgorithmIdentifier({ algorithm: keyTypeOf(caKey) === "ed25519" ? OID.ed25519 : OID.ecdsaWithSha256 });
    const serial = serialNumber();
    const keyUsage = new asn.KeyUsage(asn.KeyUsageFlags.digitalSignature);
    const tbs = new asn.TBSCertificate({
        version: asn.Version.v3,
        serialNumber: arrayBuffer(serial),
        signature: signatureAlgorithm,
        issuer,
        validity: new asn.Validity({ notBefore: req.notBefore, notAfter: req.notAfter }),
        subject: subjectName(req.subject),
        subjectPublicKeyInfo: spki,
        extensions: new asn.Extensions([
            extension(asn.id_ce_basicConstraints, true, new asn.BasicConstraints({ cA: false })),
            extension(asn.id_ce_keyUsage, true, keyUsage),
            extension(asn.id_ce_extKeyUsage, false, new asn.ExtendedKeyUsage([asn.id_kp_clientAuth])),
            extension(asn.id_ce_subjectKeyIdentifier, false, new asn.SubjectKeyIdentifier(crypto.createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest())),
            extension(asn.id_ce_authorityKeyIdentifier, false, new asn.AuthorityKeyIdentifier({ keyIdentifier: new asn.KeyIdentifier(authorityKeyId(ca)) })),
        ]),
    });
    const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
    // Ed25519 signs the message itself; ECDSA with SHA-256, DER-encoded (r, s), as X.509 wants.
    const signature = keyTypeOf(caKey) === "ed25519" ? crypto.sign(null, tbsDer, caKey) : crypto.sign("sha256", tbsDer, { key: caKey, dsaEncoding: "der" });
    const der = Buffer.from(AsnConvert.serialize(new asn.Certificate({ tbsCertificate: tbs, signatureAlgorithm, signatureValue: arrayBuffer(signature) })));
    const certificate = toPem("CERTIFICATE", der);
    // Never hand out a certificate that does not verify against the CA.
    if (!new crypto.X509Certificate(certificate).verify(crypto.createPublicKey(caKey))) throw new Error("the issued certificate does not verify against the CA key");
    const privateKey = req.keyType === "ed25519"
        ? toPem("ED25519 PRIVATE KEY", keys.privateKey.export({ type: "pkcs8", format: "der" }))
        : (keys.privateKey.export({ type: "sec1", format: "pem" }) as string);
    return { certificate, privateKey, serialNumber: serial.toString("hex").toUpperCase() };
}
