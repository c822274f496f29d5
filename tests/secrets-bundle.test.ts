import * as fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { copyMachineSecrets, fromSecretsYaml, toSecretsYaml } from "../planners/secrets-bundle";
import type { MachineSecrets } from "../talos/provider/types";
import { talosSecrets } from "../tools/engine/fakes";

/**
 * The machine secrets in Talos' `secrets.yaml` format (talosctl gen secrets): the exact layout, a
 * round trip through it, and a strict parser that names every bad key without echoing values.
 */

/** A throwaway PKI laid out as `talosctl gen secrets` writes it (EC CAs, Ed25519 OS CA; openssl-made). */
const SAMPLE = fs.readFileSync(path.join(__dirname, "fixtures", "secrets", "talosctl-gen-secrets.yaml"), "utf8");

const pem = (type: string, body: string) => Buffer.from(`-----BEGIN ${type}-----\n${body}\n-----END ${type}-----\n`).toString("base64");
const KEY = pem("EC PRIVATE KEY", "MHcCAQEEIFAKE");
const CERT = pem("CERTIFICATE", "MIIBFAKE");

function secrets(): MachineSecrets {
    return copyMachineSecrets(talosSecrets("t").machineSecrets as MachineSecrets);
}

describe("the sample secrets.yaml", () => {
    test("parses to the provider's object: same values, provider key names (crt → cert, camelCase)", () => {
        const raw = YAML.parse(SAMPLE) as Record<string, Record<string, any>>;
        const pair = (c: { crt: string; key: string }) => ({ cert: c.crt, key: c.key });
        expect(fromSecretsYaml(SAMPLE)).toEqual({
            certs: {
                etcd: pair(raw.certs.etcd),
                k8s: pair(raw.certs.k8s),
                k8sAggregator: pair(raw.certs.k8saggregator),
                k8sServiceaccount: { key: raw.certs.k8sserviceaccount.key },
                os: pair(raw.certs.os),
            },
            cluster: { id: raw.cluster.id, secret: raw.cluster.secret },
            secrets: { bootstrapToken: raw.secrets.bootstraptoken, secretboxEncryptionSecret: raw.secrets.secretboxencryptionsecret },
            trustdinfo: { token: raw.trustdinfo.token },
        });
        // Base64 of real PEM: what the provider and talosctl pass around, decoded nowhere on the way.
        const decoded = (v: string) => Buffer.from(v, "base64").toString().split("\n")[0];
        expect(decoded(raw.certs.os.key)).toBe("-----BEGIN ED25519 PRIVATE KEY-----");
        expect(decoded(raw.certs.etcd.crt)).toBe("-----BEGIN CERTIFICATE-----");
    });

    test("is written back byte for byte", () => {
        expect(toSecretsYaml(fromSecretsYaml(SAMPLE))).toBe(SAMPLE);
    });
});

describe("toSecretsYaml", () => {
    test("writes talosctl's layout: lower-cased keys in struct order, 4-space indent, crt/key, no aescbc when empty", () => {
        const text = toSecretsYaml(secrets());
        const keys = text.split("\n").filter(Boolean).map((l) => l.replace(/:.*$/, ""));
        expect(keys).toEqual([
            "cluster",
            "    id",
            "    secret",
            "secrets",
            "    bootstraptoken",
            "    secretboxencryptionsecret",
            "trustdinfo",
            "    token",
            "certs",
            "    etcd",
            "        crt",
            "        key",
            "    k8s",
            "        crt",
            "        key",
            "    k8saggregator",
            "        crt",
            "        key",
            "    k8sserviceaccount",
            "        key",
            "    os",
            "        crt",
            "        key",
        ]);
        expect(text.endsWith("key: " + secrets().certs.os.key + "\n")).toBe(true);
    });

    test("an AESCBC secret (Talos < 1.3 contracts) comes before the secretbox one, as in the Go struct", () => {
        const s = secrets();
        s.secrets.aescbcEncryptionSecret = "aescbc-secret";
        const lines = toSecretsYaml(s).split("\n");
        expect(lines.slice(3, 6)).toEqual(["secrets:", `    bootstraptoken: ${s.secrets.bootstrapToken}`, "    aescbcencryptionsecret: aescbc-secret"]);
        expect(lines[6]).toMatch(/^ {4}secretboxencryptionsecret: /);
    });

    test("quotes a value only where a plain scalar would read back as something else", () => {
        const s = secrets();
        s.cluster.id = "123456";
        s.cluster.secret = "yes";
        const text = toSecretsYaml(s);
        expect(text).toContain('    id: "123456"\n    secret: "yes"\n');
        expect(text).toContain(`    bootstraptoken: ${s.secrets.bootstrapToken}\n`);
    });
});

describe("round trip", () => {
    const chars = (set: string, minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...set), minLength, maxLength });
    const alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    const token = fc.tuple(chars(alnum, 6, 6), chars(alnum, 16, 16)).map(([a, b]) => `${a}.${b}`);
    // Printable ASCII and Unicode graphemes: exercises quoting (": ", "#", quotes, "yes", numbers, spaces).
    const text = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }));
    const pemOf = (type: string) => chars(`${alnum}ABCDEFGHIJKLMNOPQRSTUVWXYZ+/`, 1, 64).map((body) => pem(type, body));
    const keyType = fc.constantFrom("EC PRIVATE KEY", "ED25519 PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY");
    // Plain objects only (fast-check also makes null-prototype ones, which no YAML parse returns).
    const record = <T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
    const pair = record({ cert: pemOf("CERTIFICATE"), key: keyType.chain(pemOf) });
    const machineSecrets: fc.Arbitrary<MachineSecrets> = record({
        certs: record({ etcd: pair, k8s: pair, k8sAggregator: pair, k8sServiceaccount: record({ key: keyType.chain(pemOf) }), os: pair }),
        cluster: record({ id: text, secret: text }),
        secrets: record({ bootstrapToken: token, secretboxEncryptionSecret: text, aescbc: fc.option(text, { nil: undefined }) }),
        trustdinfo: record({ token: text }),
    })
        .map(({ secrets: { aescbc, ...rest }, ...s }) => ({ ...s, secrets: { ...rest, ...(aescbc ? { aescbcEncryptionSecret: aescbc } : {}) } }));

    test("fromSecretsYaml(toSecretsYaml(x)) deep-equals x", () => {
        fc.assert(
            fc.property(machineSecrets, (x) => {
                expect(fromSecretsYaml(toSecretsYaml(x))).toStrictEqual(x);
            }),
            { numRuns: 300 },
        );
    });

    test("a bundle with only the AESCBC secret (pre-1.3) keeps the secretbox secret empty", () => {
        const s = secrets();
        s.secrets = { bootstrapToken: s.secrets.bootstrapToken, secretboxEncryptionSecret: "", aescbcEncryptionSecret: "aescbc" };
        expect(toSecretsYaml(s)).not.toContain("secretboxencryptionsecret");
        expect(fromSecretsYaml(toSecretsYaml(s))).toStrictEqual(s);
    });
});

describe("fromSecretsYaml is strict", () => {
    const errorOf = (text: string): string => {
        try {
            fromSecretsYaml(text);
        } catch (err) {
            return (err as Error).message;
        }
        throw new Error("expected fromSecretsYaml to fail");
    };
    const without = (path: string) => {
        const doc = YAML.parse(SAMPLE);
        const keys = path.split(".");
        const last = keys.pop()!;
        delete keys.reduce((o, k) => o[k], doc)[last];
        return YAML.stringify(doc, { indent: 4 });
    };

    test.each([
        "cluster",
        "cluster.id",
        "cluster.secret",
        "secrets.bootstraptoken",
        "secrets.secretboxencryptionsecret",
        "trustdinfo.token",
        "certs.etcd",
        "certs.etcd.crt",
        "certs.k8s.key",
        "certs.k8saggregator.crt",
        "certs.k8sserviceaccount.key",
        "certs.os.key",
    ])("names a missing %s", (key) => {
        expect(errorOf(without(key))).toContain(`  - ${key}: missing`);
    });

    test("a certificate where a key belongs (and the reverse) is named with the PEM type found", () => {
        const doc = YAML.parse(SAMPLE);
        [doc.certs.os.crt, doc.certs.os.key] = [doc.certs.os.key, doc.certs.os.crt];
        const message = errorOf(YAML.stringify(doc, { indent: 4 }));
        expect(message).toContain('certs.os.crt: must be base64 of a PEM certificate, found a PEM "ED25519 PRIVATE KEY" block');
        expect(message).toContain('certs.os.key: must be base64 of a PEM private key, found a PEM "CERTIFICATE" block');
    });

    test("rejects PEM that is not base64-encoded, base64 of no PEM, a malformed token and unknown keys, all at once", () => {
        const doc = YAML.parse(SAMPLE);
        doc.certs.etcd.crt = Buffer.from(doc.certs.etcd.crt, "base64").toString();
        doc.certs.k8s.key = Buffer.from("not a key").toString("base64");
        doc.secrets.bootstraptoken = "not-a-token";
        doc.certs.extra = { crt: CERT, key: KEY };
        const message = errorOf(YAML.stringify(doc, { indent: 4 }));
        expect(message).toContain("certs.etcd.crt: must be base64 (standard alphabet, padded) of a PEM certificate");
        expect(message).toContain("certs.k8s.key: must be base64 of a PEM private key, found no PEM block");
        expect(message).toContain("secrets.bootstraptoken: must look like a Kubernetes bootstrap token");
        expect(message).toContain("certs: unknown key(s) extra");
        expect(message.split("\n")).toHaveLength(5);
    });

    test("never echoes a value, not even from a YAML syntax error", () => {
        const doc = YAML.parse(SAMPLE);
        doc.cluster.secret = 42;
        const message = errorOf(YAML.stringify(doc, { indent: 4 }));
        expect(message).toContain("cluster.secret: must be a non-empty string");
        const broken = SAMPLE.replace("secrets:\n", "secrets: [\n");
        const syntax = errorOf(broken);
        expect(syntax).toMatch(/^secrets.yaml is not valid YAML/);
        for (const m of [message, syntax]) expect(m).not.toMatch(/LS0tLS1CRUdJTi|PRIVATE KEY-----/);
    });

    test("a missing section is reported once, not once per key in it", () => {
        const message = errorOf(without("certs"));
        expect(message.split("\n").slice(1)).toEqual(["  - certs: missing"]);
    });

    test("an empty document or a list is not a bundle", () => {
        expect(errorOf("")).toContain("the document is empty");
        expect(errorOf("- a\n")).toContain("the document: must be a mapping");
    });
});
