import * as YAML from "yaml";
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

/*
 * Talos' `secrets.yaml` (`talosctl gen secrets`): the Go struct `secrets.Bundle` marshalled by
 * yaml.v3, so the keys are the lower-cased Go field names in struct order and the indent is four
 * spaces; `Clock` is skipped (`yaml:"-"`); both encryption secrets are `omitempty`, AESCBC first.
 * Certificates and keys are base64 (standard) of PEM under `crt`/`key`, byte-identical to the
 * provider's `cert`/`key` (TF `secretsBundleTomachineSecrets`). See tests/support/sim/SOURCES.md §13.
 */

/** How each certificate of the bundle is named in secrets.yaml and in the provider's object. */
const CERTS = [
    { yaml: "etcd", key: "etcd" },
    { yaml: "k8s", key: "k8s" },
    { yaml: "k8saggregator", key: "k8sAggregator" },
    { yaml: "k8sserviceaccount", key: "k8sServiceaccount" },
    { yaml: "os", key: "os" },
] as const;
const KEY_ONLY = "k8sserviceaccount";
const TOP_KEYS = ["cluster", "secrets", "trustdinfo", "certs"];
/** Kubernetes bootstrap token format (`[a-z0-9]{6}.[a-z0-9]{16}`), which Talos generates. */
const BOOTSTRAP_TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/**
 * The machine secrets as the `secrets.yaml` `talosctl gen secrets` writes: same keys, order,
 * indentation and encodings, so `talosctl gen config --with-secrets` and the provider's import read
 * it. Ends with a newline, as yaml.v3 output does.
 */
export function toSecretsYaml(s: MachineSecrets): string {
    const lines: string[] = [];
    const put = (depth: number, key: string, value?: string) => lines.push(`${"    ".repeat(depth)}${key}:${value === undefined ? "" : ` ${yamlScalar(value)}`}`);
    put(0, "cluster");
    put(1, "id", s.cluster.id);
    put(1, "secret", s.cluster.secret);
    put(0, "secrets");
    put(1, "bootstraptoken", s.secrets.bootstrapToken);
    if (s.secrets.aescbcEncryptionSecret) put(1, "aescbcencryptionsecret", s.secrets.aescbcEncryptionSecret);
    if (s.secrets.secretboxEncryptionSecret) put(1, "secretboxencryptionsecret", s.secrets.secretboxEncryptionSecret);
    put(0, "trustdinfo");
    put(1, "token", s.trustdinfo.token);
    put(0, "certs");
    for (const c of CERTS) {
        const pair = s.certs[c.key] as Partial<Certificate>;
        put(1, c.yaml);
        if (c.yaml !== KEY_ONLY) put(2, "crt", pair.cert ?? "");
        put(2, "key", pair.key ?? "");
    }
    return `${lines.join("\n")}\n`;
}

/**
 * Parses a `secrets.yaml` into the provider's machine-secrets object. Strict: every field the
 * provider needs must be present and well-formed (each `crt` base64 of a PEM certificate, each `key`
 * base64 of a PEM private key) and nothing unknown may be there (it would be silently lost).
 * Throws one error listing every problem by its secrets.yaml path; values are never echoed.
 */
export function fromSecretsYaml(text: string): MachineSecrets {
    let doc: unknown;
    try {
        doc = YAML.parse(text);
    } catch (err) {
        // The parser's message can quote the offending line, i.e. secret material.
        const at = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
        throw new Error(`secrets.yaml is not valid YAML${at ? ` (line ${at})` : ""}`);
    }
    const problems: string[] = [];
    const root = mapping(doc, "", TOP_KEYS, problems);
    const section = (key: string, keys: string[]) => mapping(root?.[key], key, keys, problems);
    const str = (m: Record<string, unknown> | undefined, path: string, optional = false): string => {
        const key = path.slice(path.lastIndexOf(".") + 1);
        const v = m?.[key];
        if (m && v === undefined && !optional) problems.push(`${path}: missing`);
        else if (v !== undefined && (typeof v !== "string" || v === "")) problems.push(`${path}: must be a non-empty string`);
        return typeof v === "string" ? v : "";
    };

    const cluster = section("cluster", ["id", "secret"]);
    const secrets = section("secrets", ["bootstraptoken", "aescbcencryptionsecret", "secretboxencryptionsecret"]);
    const trustd = section("trustdinfo", ["token"]);
    const certs = section("certs", CERTS.map((c) => c.yaml));
    const bootstrapToken = str(secrets, "secrets.bootstraptoken");
    if (bootstrapToken && !BOOTSTRAP_TOKEN.test(bootstrapToken)) problems.push("secrets.bootstraptoken: must look like a Kubernetes bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})");
    const aescbc = str(secrets, "secrets.aescbcencryptionsecret", true);
    // Talos < 1.3 contracts carry only the AESCBC secret; every later one a secretbox secret.
    const secretbox = str(secrets, "secrets.secretboxencryptionsecret", aescbc !== "");

    const pairs: Record<string, Certificate> = {};
    for (const c of CERTS) {
        const m = certs && mapping(certs[c.yaml], `certs.${c.yaml}`, c.yaml === KEY_ONLY ? ["key"] : ["crt", "key"], problems);
        const cert = c.yaml === KEY_ONLY ? "" : pem(str(m, `certs.${c.yaml}.crt`), `certs.${c.yaml}.crt`, "certificate", problems);
        pairs[c.key] = { cert, key: pem(str(m, `certs.${c.yaml}.key`), `certs.${c.yaml}.key`, "private key", problems) };
    }

    const result: MachineSecrets = {
        certs: {
            etcd: pairs.etcd,
            k8s: pairs.k8s,
            k8sAggregator: pairs.k8sAggregator,
            k8sServiceaccount: { key: pairs.k8sServiceaccount.key },
            os: pairs.os,
        },
        cluster: { id: str(cluster, "cluster.id"), secret: str(cluster, "cluster.secret") },
        secrets: { bootstrapToken, secretboxEncryptionSecret: secretbox, ...(aescbc ? { aescbcEncryptionSecret: aescbc } : {}) },
        trustdinfo: { token: str(trustd, "trustdinfo.token") },
    };
    if (problems.length > 0) {
        throw new Error(`secrets.yaml is not a complete Talos secrets bundle (talosctl gen secrets format):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    return result;
}

/** The mapping at `path` (reported missing or mistyped, and unknown keys reported), or undefined. */
function mapping(v: unknown, path: string, keys: string[], problems: string[]): Record<string, unknown> | undefined {
    const where = path === "" ? "the document" : path;
    if (v === undefined || v === null) {
        problems.push(path === "" ? "the document is empty" : `${path}: ${v === null ? "empty" : "missing"}`);
        return undefined;
    }
    if (typeof v !== "object" || Array.isArray(v)) {
        problems.push(`${where}: must be a mapping`);
        return undefined;
    }
    const m = v as Record<string, unknown>;
    const unknown = Object.keys(m).filter((k) => !keys.includes(k));
    if (unknown.length > 0) problems.push(`${where}: unknown key(s) ${unknown.join(", ")} (expected ${keys.join(", ")})`);
    return m;
}

/**
 * Checks that `value` is standard base64 of a PEM block of the expected kind: `CERTIFICATE`, or any
 * `... PRIVATE KEY` (Talos writes `EC PRIVATE KEY` and `ED25519 PRIVATE KEY`; a bundle made with
 * `--from-kubernetes-pki` can hold RSA keys). Returns the value unchanged.
 */
function pem(value: string, path: string, kind: "certificate" | "private key", problems: string[]): string {
    if (value === "") return value;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) {
        problems.push(`${path}: must be base64 (standard alphabet, padded) of a PEM ${kind}`);
        return value;
    }
    const text = Buffer.from(value, "base64").toString("latin1");
    const block = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n:,\- ]*?-----END \1-----/.exec(text.trimStart());
    const type = block?.[1];
    const ok = type !== undefined && (kind === "certificate" ? type === "CERTIFICATE" : /(^| )PRIVATE KEY$/.test(type));
    if (!ok) problems.push(`${path}: must be base64 of a PEM ${kind}, ${type ? `found a PEM "${type}" block` : "found no PEM block"}`);
    return value;
}

/**
 * A string scalar as yaml.v3 writes it: plain when that reads back as the same string, otherwise
 * double-quoted. Bundle values are base64 and tokens, which are always plain in practice.
 */
function yamlScalar(v: string): string {
    const plain =
        /^[A-Za-z0-9+/=._-]+$/.test(v) &&
        !/^-$|^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^0[xob][0-9a-fA-F_]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(v) &&
        !/^(y|yes|n|no|on|off|true|false|null|~)$/i.test(v);
    return plain ? v : JSON.stringify(v);
}
