/**
 * What a credential looks like, for `no-plaintext-credentials`. Pure functions over one value (and
 * the key it sits under); they say what kind of credential they found, never what it was.
 */

/** A kind of credential, as named in violation messages. */
export type CredentialKind =
    | "a PEM private key"
    | "a base64-encoded PEM private key"
    | "a GitHub token"
    | "a JSON Web Token (the shape of a 1Password Connect token)"
    | "a 1Password service account token"
    | "an AWS access key id"
    | "a URL with a password in it (user:password@host)"
    | "a non-empty value under a credential-named key";

const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
/** base64 of "-----BEGIN" at the start of an encoded block, and the run of base64 after it. */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g;

const SHAPES: [CredentialKind, RegExp][] = [
    ["a PEM private key", PEM_PRIVATE_KEY],
    // Classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained (github_pat_) tokens.
    ["a GitHub token", /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/],
    // header.payload.signature, each base64url; header and payload are JSON objects ("eyJ" = '{"').
    ["a JSON Web Token (the shape of a 1Password Connect token)", /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
    ["a 1Password service account token", /(?<![A-Za-z0-9])ops_eyJ[A-Za-z0-9+/=_-]{16,}/],
    ["an AWS access key id", /(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])/],
];

/** scheme://user:password@ where the password is not a `${VAR}` substitution placeholder. */
const URL_WITH_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@]+:([^\s/@]+)@/g;

/** Every kind of credential found in `text` (empty if none). */
export function credentialsIn(text: string): CredentialKind[] {
    const found = new Set<CredentialKind>();
    for (const [kind, shape] of SHAPES) if (shape.test(text)) found.add(kind);
    for (const m of text.matchAll(BASE64_PEM)) {
        if (PEM_PRIVATE_KEY.test(Buffer.from(m[0], "base64").toString("latin1"))) found.add("a base64-encoded PEM private key");
    }
    for (const m of text.matchAll(URL_WITH_PASSWORD)) {
        if (!isPlaceholder(m[1])) found.add("a URL with a password in it (user:password@host)");
    }
    return [...found];
}

/** Last words of a key that name a credential: `DB_PASSWORD`, `apiToken`, `clientSecret`, ... */
const CREDENTIAL_WORDS = new Set(["password", "passwd", "passphrase", "pass", "pwd", "token", "secret", "credential", "credentials", "apikey", "privatekey", "accesskey", "secretkey"]);
/** Words that make a trailing `key` a credential: `apiKey`, `privateKey`, `secretAccessKey`, ... */
const KEY_QUALIFIERS = new Set(["api", "private", "access", "secret", "signing", "encryption", "master", "auth"]);

/** The words of a key: split at camelCase humps and at anything not a letter or digit, lower-cased. */
export function keyWords(key: string): string[] {
    return key
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .split(/[^A-Za-z0-9]+/)
        .filter((w) => w !== "")
        .map((w) => w.toLowerCase());
}

/**
 * True if `key` names a credential by its last word (`DB_PASSWORD`, `github-token`, `apiKey`), not
 * merely mentions one (`SECRET_PATH`, `tokenSecretRef`, `passwordFile` end in another word).
 */
export function isCredentialKey(key: string): boolean {
    const words = keyWords(key);
    const last = words[words.length - 1];
    if (last === undefined) return false;
    if (CREDENTIAL_WORDS.has(last)) return true;
    return last === "key" && words.length > 1 && KEY_QUALIFIERS.has(words[words.length - 2]);
}

/** A Kubernetes object name (DNS-1123 subdomain). */
const OBJECT_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * True if a string under a credential-named key is a credential. Not a credential: an empty value,
 * a whole-value `${VAR}` substitution placeholder, and, under a key ending in `secret`
 * (`existingSecret`, `pullSecret`, `..._TOKEN_SECRET`), the name of the Kubernetes Secret that
 * holds it.
 */
export function isCredentialValue(key: string, value: string): boolean {
    const v = value.trim();
    if (v === "" || isPlaceholder(v)) return false;
    const words = keyWords(key);
    if (words[words.length - 1] === "secret" && OBJECT_NAME.test(v)) return false;
    return true;
}

/** What `no-plaintext-credentials` finds in one leaf: shapes anywhere, names by key. */
export function credentialsAt(key: string, value: unknown): CredentialKind[] {
    if (typeof value !== "string") return [];
    const found = credentialsIn(value);
    if (isCredentialKey(key) && isCredentialValue(key, value)) found.push("a non-empty value under a credential-named key");
    return found;
}

function isPlaceholder(s: string): boolean {
    return /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=+?][^}]*)?\}$/.test(s);
}
