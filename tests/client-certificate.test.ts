import * as crypto from "crypto";
import * as tls from "tls";
import type { AddressInfo } from "net";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn from "@peculiar/asn1-x509";
import { check, create, diff, setClock, update, CLOCK_SKEW_MS, type ClientCertificateInputs, type ClientCertificateOutputs } from "../lifecycle/client-certificate";
import { parsePrivateKey, pemBlock, rawName } from "../lifecycle/issue-certificate";
import { pemText } from "../planners/certificates";
import { makePki } from "./support/tls";
import { extensionsOf, makeCa, signatureAlgorithmOf } from "./support/talos-ca";

/**
 * The ClientCertificate provider called directly, as the engine calls it (check, then diff or
 * create/update), with throwaway CAs in Talos' PEM forms and a stubbed clock.
 */

const HOUR = 3600_000;
const T0 = new Date("2026-01-10T08:30:00.000Z");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const osCa = makeCa("ed25519");
const k8sCa = makeCa("ecdsa-p256");

let now = T0;
beforeEach(() => {
    now = T0;
    setClock(() => now);
});
afterAll(() => setClock());

function talosInputs(overrides: Partial<ClientCertificateInputs> = {}): ClientCertificateInputs {
    return { projectDir: "/checkout", caCertificate: osCa.cert, caKey: osCa.key, subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720, ...overrides };
}
function kubeInputs(overrides: Partial<ClientCertificateInputs> = {}): ClientCertificateInputs {
    return { projectDir: "/checkout", caCertificate: k8sCa.cert, caKey: k8sCa.key, subject: { commonName: "admin", organizations: ["system:masters"] }, validityHours: 8760, renewBeforeHours: 720, ...overrides };
}

/** check, then create: what `pulumi up` does for a new resource. Returns the checked inputs and the outputs. */
async function issue(inputs: ClientCertificateInputs, olds: Partial<ClientCertificateInputs> = {}) {
    const checked = await check(olds, inputs);
    expect(checked.failures).toBeUndefined();
    const created = await create(checked.inputs);
    return { inputs: checked.inputs, outs: created.outs, id: created.id };
}

const x509Of = (outs: ClientCertificateOutputs) => new crypto.X509Certificate(pemText(outs.certificate));

describe("create", () => {
    test("issues a Talos admin certificate (O=os:admin) from an Ed25519 OS CA, with an Ed25519 key in Talos' PEM form", async () => {
        const { outs, id } = await issue(talosInputs());
        const cert = x509Of(outs);
        expect(cert.verify(osCa.publicKey)).toBe(true);
        expect(cert.checkIssued(new crypto.X509Certificate(osCa.certPem))).toBe(true);
        expect(cert.subject).toBe("O=os:admin");
        expect(cert.issuer).toBe("O=talos");
        expect(cert.ca).toBe(false);
        expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // extKeyUsage: clientAuth only
        expect(signatureAlgorithmOf(pemText(outs.certificate))).toBe("1.3.101.112"); // Ed25519
        expect(id).toBe(cert.serialNumber);
        // The configured validity, from the clock, backdated a little for clock skew.
        expect(new Date(cert.validTo).toISOString()).toBe(new Date(T0.getTime() + 8760 * HOUR).toISOString());
        expect(new Date(cert.validFrom).getTime()).toBe(T0.getTime() - CLOCK_SKEW_MS);
        expect(outs.notAfter).toBe(new Date(T0.getTime() + 8760 * HOUR).toISOString());
        // The key: "ED25519 PRIVATE KEY" with PKCS#8 inside, and it is the certificate's key.
        const keyPem = pemText(outs.privateKey);
        expect(pemBlock(keyPem).label).toBe("ED25519 PRIVATE KEY");
        const key = parsePrivateKey(keyPem);
        expect(key.asymmetricKeyType).toBe("ed25519");
        expect(cert.checkPrivateKey(key)).toBe(true);
        expect(outs.keyType).toBe("ed25519");
        // What Pulumi stores as outputs: never the CA key.
        expect(outs).not.toHaveProperty("caKey");
        expect(outs).not.toHaveProperty("expiring");
    });

    test("issues a Kubernetes admin certificate (O=system:masters, CN=admin) from an ECDSA P-256 CA, with an EC key", async () => {
        const { outs } = await issue(kubeInputs());
        const cert = x509Of(outs);
        expect(cert.verify(k8sCa.publicKey)).toBe(true);
        expect(cert.subject.split("\n")).toEqual(["O=system:masters", "CN=admin"]);
        expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
        expect(signatureAlgorithmOf(pemText(outs.certificate))).toBe("1.2.840.10045.4.3.2"); // ecdsa-with-SHA256
        const keyPem = pemText(outs.privateKey);
        expect(pemBlock(keyPem).label).toBe("EC PRIVATE KEY");
        const key = parsePrivateKey(keyPem);
        expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
        expect(cert.checkPrivateKey(key)).toBe(true);
        expect(outs.keyType).toBe("ecdsa-p256");
    });

    test("X.509 v3 details: issuer is the CA's subject byte for byte; basicConstraints and keyUsage critical; key identifiers", async () => {
        const { outs } = await issue(kubeInputs());
        const certPem = pemText(outs.certificate);
        // Go chains certificates by comparing the raw issuer with the CA's raw subject.
        expect(rawName(pemBlock(certPem).der, "issuer").equals(rawName(pemBlock(k8sCa.certPem).der))).toBe(true);
        const exts = extensionsOf(certPem);
        expect(exts.get(asn.id_ce_basicConstraints)?.critical).toBe(true);
        expect(AsnConvert.parse(exts.get(asn.id_ce_basicConstraints)!.value, asn.BasicConstraints).cA).toBe(false);
        expect(exts.get(asn.id_ce_keyUsage)?.critical).toBe(true);
        expect(AsnConvert.parse(exts.get(asn.id_ce_keyUsage)!.value, asn.KeyUsage).toJSON()).toEqual(["digitalSignature"]);
        expect(AsnConvert.parse(exts.get(asn.id_ce_extKeyUsage)!.value, asn.ExtendedKeyUsage)).toEqual([asn.id_kp_clientAuth]);
        const aki = AsnConvert.parse(exts.get(asn.id_ce_authorityKeyIdentifier)!.value, asn.AuthorityKeyIdentifier);
        const caSki = AsnConvert.parse(extensionsOf(k8sCa.certPem).get(asn.id_ce_subjectKeyIdentifier)!.value, asn.SubjectKeyIdentifier);
        expect(Buffer.from(aki.keyIdentifier!.buffer).equals(Buffer.from(caSki.buffer))).toBe(true);
        expect(exts.has(asn.id_ce_subjectKeyIdentifier)).toBe(true);
        // Serial: positive, 16 bytes of randomness, minimally encoded.
        expect(x509Of(outs).serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    });

    test("a CA without a subject key identifier: the authority key identifier is the SHA-1 of the CA's public key", async () => {
        const ca = makeCa("ed25519", { subjectKeyId: false });
        const { outs } = await issue(talosInputs({ caCertificate: ca.cert, caKey: ca.key }));
        const aki = AsnConvert.parse(extensionsOf(pemText(outs.certificate)).get(asn.id_ce_authorityKeyIdentifier)!.value, asn.AuthorityKeyIdentifier);
        const spki = AsnConvert.parse(ca.publicKey.export({ type: "spki", format: "der" }), asn.SubjectPublicKeyInfo);
        expect(Buffer.from(aki.keyIdentifier!.buffer).equals(crypto.createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest())).toBe(true);
    });

    test("a TLS server that requires client certificates from the CA accepts both certificates and sees their subjects", async () => {
        setClock(); // a real handshake checks validity against the real time
        const server = makePki("server");
        for (const [inputs, expected] of [[talosInputs(), { O: "os:admin" }], [kubeInputs(), { O: "system:masters", CN: "admin" }]] as const) {
            const { outs } = await issue(inputs);
            expect(await handshake(server, pemText(inputs.caCertificate), pemText(outs.certificate), pemText(outs.privateKey))).toEqual(expected);
        }
        // A certificate from another CA is refused.
        const other = makeCa("ed25519");
        const { outs } = await issue(talosInputs({ caCertificate: other.cert, caKey: other.key }));
        await expect(handshake(server, osCa.certPem, pemText(outs.certificate), pemText(outs.privateKey))).rejects.toThrow();
    });
});

/**
 * A mutual-TLS handshake against a local server trusting `clientCa`; resolves to the client subject
 * the server saw. OpenSSL does not read Talos' "ED25519 PRIVATE KEY" label (Go does), so the key is
 * handed over as the same PKCS#8 under the standard label.
 */
async function handshake(pki: ReturnType<typeof makePki>, clientCa: string, cert: string, talosKey: string): Promise<Record<string, string>> {
    const key = parsePrivateKey(talosKey).export({ type: "pkcs8", format: "pem" });
    const server = tls.createServer({ cert: pki.serverCert, key: pki.serverKey, ca: clientCa, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" }, (socket) => {
        const subject = socket.getPeerCertificate().subject as unknown as Record<string, string>;
        socket.end(JSON.stringify(subject));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
        return await new Promise((resolve, reject) => {
            const socket = tls.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ca: pki.caCert, servername: "localhost", cert, key, minVersion: "TLSv1.3" });
            let data = "";
            socket.on("data", (d) => (data += d));
            socket.on("end", () => (data ? resolve(JSON.parse(data)) : reject(new Error("the server closed the connection without answering"))));
            socket.on("error", reject);
        });
    } finally {
        server.close();
    }
}

describe("check", () => {
    test("fills in the CA's key type and plans the validity; a stated key type is kept", async () => {
        const { inputs } = await check({}, talosInputs());
        expect(inputs).toMatchObject({ keyType: "ed25519", notAfter: "2027-01-10T08:30:00.000Z", notBefore: "2026-01-10T08:25:00.000Z" });
        expect((await check({}, kubeInputs())).inputs.keyType).toBe("ecdsa-p256");
        const crossed = await issue(talosInputs({ keyType: "ecdsa-p256" }));
        expect(crossed.outs.keyType).toBe("ecdsa-p256");
        expect(x509Of(crossed.outs).verify(osCa.publicKey)).toBe(true);
    });

    test("reports every problem, naming the property and what to do", async () => {
        const result = await check({}, talosInputs({ validityHours: 24, renewBeforeHours: 24, subject: { organizations: [] }, keyType: "rsa" as never, caKey: k8sCa.key }));
        expect(result.failures).toEqual([
            { property: "renewBeforeHours", reason: "renewBeforeHours (1 day) is not shorter than validityHours (1 day): every pulumi up would renew the certificate; choose a shorter window" },
            { property: "subject", reason: "the subject is empty: give at least one organization or a common name" },
            { property: "keyType", reason: 'keyType is "rsa": use one of ed25519, ecdsa-p256' },
            { property: "caKey", reason: "the CA key does not belong to the CA certificate: pass the CA's own certificate and key (machine secrets certs.os or certs.k8s)" },
        ]);
        const rsa = makeCa("rsa");
        expect((await check({}, talosInputs({ caCertificate: rsa.cert, caKey: rsa.key }))).failures?.[0].reason).toMatch(/^the CA certificate or key cannot be read \(holds a "RSA PRIVATE KEY" block/);
        expect((await check({}, talosInputs({ caCertificate: "bm90IGEgY2VydA==" }))).failures?.[0]).toMatchObject({ property: "caCertificate" });
        expect((await check({}, talosInputs({ validityHours: -1 }))).failures?.[0].property).toBe("validityHours");
    });

    test("during preview an unknown CA is no failure: the key type is unknown and the diff replaces", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        const checked = await check(olds, talosInputs({ caCertificate: UNKNOWN, caKey: UNKNOWN }));
        expect(checked.failures).toBeUndefined();
        expect(checked.inputs.keyType).toBe(UNKNOWN);
        expect(await diff("id", outs, checked.inputs)).toEqual({ changes: true, replaces: ["caCertificate", "keyType"], deleteBeforeReplace: false });
    });
});

describe("diff and renewal", () => {
    test("a fresh certificate: no change, and the planned validity is carried over", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        now = new Date(T0.getTime() + 200 * 24 * HOUR);
        const checked = await check(olds, talosInputs());
        expect(checked.inputs).toMatchObject({ notAfter: outs.notAfter, notBefore: outs.notBefore });
        expect(checked.inputs).not.toHaveProperty("expiring");
        expect(await diff("id", outs, checked.inputs)).toEqual({ changes: false });
        // The checkout moved: still no change.
        expect(await diff("id", outs, { ...checked.inputs, projectDir: "/elsewhere" })).toEqual({ changes: false });
    });

    test("within the renewal window: check plans a new validity and notes the expiring one; diff replaces; the renewal is a new, valid certificate", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        // One hour inside the 30-day window.
        now = new Date(new Date(outs.notAfter).getTime() - 720 * HOUR + HOUR);
        const checked = await check(olds, talosInputs());
        expect(checked.inputs.expiring).toBe(outs.notAfter);
        expect(checked.inputs.notAfter).toBe(new Date(Math.floor(now.getTime() / 1000) * 1000 + 8760 * HOUR).toISOString());
        expect(await diff("id", outs, checked.inputs)).toEqual({ changes: true, replaces: ["notAfter"], deleteBeforeReplace: false });

        const renewed = (await create(checked.inputs)).outs;
        const before = x509Of(outs);
        const after = x509Of(renewed);
        expect(after.serialNumber).not.toBe(before.serialNumber);
        expect(renewed.privateKey).not.toBe(outs.privateKey);
        expect(after.publicKey.export({ type: "spki", format: "der" }).equals(before.publicKey.export({ type: "spki", format: "der" }))).toBe(false);
        expect(after.verify(osCa.publicKey)).toBe(true);
        expect(new Date(after.validTo).getTime()).toBe(Math.floor(now.getTime() / 1000) * 1000 + 8760 * HOUR);
        expect(renewed).not.toHaveProperty("expiring");
        // The next preview, with the renewed certificate in state, has nothing to do.
        expect(await diff("id", renewed, (await check(checked.inputs, talosInputs())).inputs)).toEqual({ changes: false });
    });

    test("one hour before the window opens nothing happens; a certificate past its expiry is renewed too", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        now = new Date(new Date(outs.notAfter).getTime() - 721 * HOUR);
        expect(await diff("id", outs, (await check(olds, talosInputs())).inputs)).toEqual({ changes: false });
        now = new Date(new Date(outs.notAfter).getTime() + 24 * HOUR);
        expect((await diff("id", outs, (await check(olds, talosInputs())).inputs)).replaces).toEqual(["notAfter"]);
    });

    test("a due certificate is replaced even by a diff that no check preceded", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        now = new Date(new Date(outs.notAfter).getTime() - 24 * HOUR);
        expect((await diff("id", outs, olds)).replaces).toEqual(["notAfter"]);
        // A certificate in state that cannot be read is replaced too.
        expect((await diff("id", { ...outs, certificate: "bm90IGEgY2VydA==" }, olds)).replaces).toEqual(["certificate"]);
    });

    test("a changed CA, subject, key type or validity replaces the certificate", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        const other = makeCa("ed25519");
        const replaces = async (news: ClientCertificateInputs) => (await diff("id", outs, (await check(olds, news)).inputs)).replaces;
        now = new Date(T0.getTime() + 24 * HOUR); // a day later: each also gets a new validity
        expect(await replaces(talosInputs({ caCertificate: other.cert, caKey: other.key }))).toEqual(["caCertificate", "notAfter"]);
        expect(await replaces(talosInputs({ subject: { organizations: ["os:reader"] } }))).toEqual(["subject", "notAfter"]);
        expect(await replaces(talosInputs({ keyType: "ecdsa-p256" }))).toEqual(["keyType", "notAfter"]);
        expect(await replaces(talosInputs({ validityHours: 4380 }))).toEqual(["validityHours", "notAfter"]);
        // The same CA in PEM rather than base64 of PEM is the same CA.
        expect(await replaces(talosInputs({ caCertificate: osCa.certPem, caKey: osCa.keyPem }))).toBeUndefined();
    });

    test("a changed window updates in place and keeps the certificate, unless the new window makes it due", async () => {
        const { inputs: olds, outs } = await issue(talosInputs());
        const wider = (await check(olds, talosInputs({ renewBeforeHours: 1440 }))).inputs;
        expect(await diff("id", outs, wider)).toEqual({ changes: true });
        const updated = (await update("id", outs, wider)).outs;
        expect(updated).toEqual({ ...outs, renewBeforeHours: 1440 });

        now = new Date(new Date(outs.notAfter).getTime() - 1000 * HOUR);
        const due = (await check(olds, talosInputs({ renewBeforeHours: 1440 }))).inputs;
        expect(due.expiring).toBe(outs.notAfter);
        expect((await diff("id", outs, due)).replaces).toEqual(["notAfter"]);
    });
});
