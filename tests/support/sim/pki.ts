/**
 * Throwaway PKI for one simulated cluster: the Kubernetes API server certificate, an admin client
 * certificate (returned in the kubeconfig) and a Talos `os:admin` client certificate for the
 * talosconfig. Same shape as tests/support/tls.ts `makePki`, but faster: node-forge's pure-JS RSA
 * keygen and signing cost ~0.8 s per PKI, which would dominate a test file that starts many sims.
 * Here keys come from Node's native generator (two key pairs per process, reused by every sim:
 * each sim's CA has a unique name, so one sim's certificates never verify against another's CA)
 * and certificates are signed natively; forge only assembles the X.509 structures.
 */
import { generateKeyPairSync, sign } from "crypto";
import forge from "node-forge";
import type { TestPki } from "../tls";

export interface SimPki extends TestPki {
    /** Talos client certificate (O=os:admin) and key for the talosconfig. */
    talosCert: string;
    talosKey: string;
    talosNotAfter: Date;
}

interface Keys {
    publicKey: forge.pki.rsa.PublicKey;
    pem: string;
}

function rsaKeys(): Keys {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "pkcs1", format: "pem" } });
    const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
    return { publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem: privateKey };
}

let keyCache: { ca: Keys; leaf: Keys } | undefined;
let pkiCounter = 0;

function issue(
    subject: { name: string; value: string }[],
    publicKey: forge.pki.rsa.PublicKey,
    issuer: { cert?: forge.pki.Certificate; keyPem: string },
    extensions: object[],
    serial: string,
    notAfter: Date,
): forge.pki.Certificate {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    cert.serialNumber = serial;
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = notAfter;
    cert.setSubject(subject);
    cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject);
    cert.setExtensions(extensions);
    // What forge's cert.sign does, with the RSA signature computed natively.
    const oid = forge.pki.oids["sha256WithRSAEncryption"]!;
    cert.signatureOid = oid;
    cert.siginfo.algorithmOid = oid;
    const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
    cert.tbsCertificate = tbs;
    const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), "binary");
    cert.signature = sign("sha256", der, issuer.keyPem).toString("binary");
    return cert;
}

export function makeSimPki(name: string): SimPki {
    const day = 24 * 3600_000;
    keyCache ??= { ca: rsaKeys(), leaf: rsaKeys() };
    const caKeys = keyCache.ca;
    const leaf = keyCache.leaf;
    const caName = `${name}-ca-${process.pid}-${++pkiCounter}-${Date.now().toString(36)}`;
    const ca = issue([{ name: "commonName", value: caName }], caKeys.publicKey, { keyPem: caKeys.pem }, [{ name: "basicConstraints", cA: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true }], "01", new Date(Date.now() + 3650 * day));
    const server = issue([{ name: "commonName", value: "kube-apiserver" }], leaf.publicKey, { cert: ca, keyPem: caKeys.pem }, [
        { name: "basicConstraints", cA: false },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ], "02", new Date(Date.now() + day));
    const client = issue(
        [{ name: "organizationName", value: "system:masters" }, { name: "commonName", value: "admin" }],
        leaf.publicKey,
        { cert: ca, keyPem: caKeys.pem },
        [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }],
        "03",
        new Date(Date.now() + 365 * day),
    );
    const talosNotAfter = new Date(Date.now() + 365 * day);
    const talos = issue(
        [{ name: "organizationName", value: "os:admin" }, { name: "commonName", value: "admin" }],
        leaf.publicKey,
        { cert: ca, keyPem: caKeys.pem },
        [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }],
        "04",
        talosNotAfter,
    );
    const pem = forge.pki.certificateToPem;
    return {
        caCert: pem(ca),
        serverCert: pem(server),
        serverKey: leaf.pem,
        clientCert: pem(client),
        clientKey: leaf.pem,
        talosCert: pem(talos),
        talosKey: leaf.pem,
        talosNotAfter,
    };
}
