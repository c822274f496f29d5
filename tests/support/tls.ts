import forge from "node-forge";

/** A CA and certificates issued by it, as PEM, for local TLS test servers. */
export interface TestPki {
    caCert: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
}

function keyPair() {
    return forge.pki.rsa.generateKeyPair({ bits: 2048 });
}

function issue(
    subjectCn: string,
    keys: forge.pki.rsa.KeyPair,
    issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
    extensions: object[],
    serial: string,
): forge.pki.Certificate {
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serial;
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
    const subject = [{ name: "commonName", value: subjectCn }];
    cert.setSubject(subject);
    cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject);
    cert.setExtensions(extensions);
    cert.sign(issuer.key, forge.md.sha256.create());
    return cert;
}

/** A fresh CA with a server certificate for 127.0.0.1/localhost and an admin client certificate. */
export function makePki(name = "test"): TestPki {
    const caKeys = keyPair();
    const ca = issue(`${name}-ca`, caKeys, { key: caKeys.privateKey }, [{ name: "basicConstraints", cA: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true }], "01");
    const serverKeys = keyPair();
    const server = issue("kube-apiserver", serverKeys, { cert: ca, key: caKeys.privateKey }, [
        { name: "basicConstraints", cA: false },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ], "02");
    const clientKeys = keyPair();
    const client = issue("admin", clientKeys, { cert: ca, key: caKeys.privateKey }, [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }], "03");
    const pem = forge.pki.certificateToPem;
    const keyPem = forge.pki.privateKeyToPem;
    return {
        caCert: pem(ca),
        serverCert: pem(server),
        serverKey: keyPem(serverKeys.privateKey),
        clientCert: pem(client),
        clientKey: keyPem(clientKeys.privateKey),
    };
}

/** A kubeconfig (inline base64 data, like Talos issues) for `server`, trusting `caCert`. */
export function kubeconfigFor(server: string, caCert: string, pki: TestPki): string {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: test",
        "    cluster:",
        `      server: ${server}`,
        `      certificate-authority-data: ${b64(caCert)}`,
        "users:",
        "  - name: admin@test",
        "    user:",
        `      client-certificate-data: ${b64(pki.clientCert)}`,
        `      client-key-data: ${b64(pki.clientKey)}`,
        "contexts:",
        "  - name: admin@test",
        "    context: { cluster: test, user: admin@test }",
        "current-context: admin@test",
        "",
    ].join("\n");
}
