import { maskUrlCredentials, Problems } from "../../model";
import { credentialsAt, credentialsIn, isCredentialKey, keyWords, type CredentialKind } from "../../policy/credentials";

/**
 * Credentials in the stack file, where none may be (they would sit in plain text in the stack
 * file, Pulumi state and the cluster). The detectors are the policy pack's (policy/credentials.ts:
 * pure, no dependencies), so the program refuses up front what `no-plaintext-credentials` would
 * flag later; this module adds what only URLs have, a credential in the query string, and a
 * problem list that never prints what it found.
 */

/** Query parameters that carry a credential though no credential word names them: API keys (`?key=`), signed URLs (`sig`), Talos join tokens. */
const QUERY_NAMES = new Set(["key", "auth", "sig", "jointoken"]);

/** `?access_token=...`, `&X-Amz-Signature=...`, anywhere in a text: the parameter name and value. */
const QUERY_PARAM = /[?&]([^=&#\s"'?]+)=([^&#\s"']*)/g;

function isQueryCredential(name: string, value: string): boolean {
    if (value === "" || value.startsWith("${")) return false;
    // ...and signatures of signed URLs: X-Amz-Signature, X-Goog-Signature.
    return isCredentialKey(name) || QUERY_NAMES.has(name.toLowerCase()) || keyWords(name).pop() === "signature";
}

/** The names of the query parameters in `text` that carry a credential (`token`, `access_token`, `sig`, ...). */
export function queryCredentials(text: string): string[] {
    return [...text.matchAll(QUERY_PARAM)].filter(([, name, value]) => isQueryCredential(name, value)).map(([, name]) => name);
}

/** What a URL field says when its query string carries a credential. */
export const URL_QUERY_CREDENTIALS =
    "must not carry a credential in its query string (such as ?access_token=...): it would be stored in plain text in the stack file, Pulumi state and the cluster; remove it from the URL";

/**
 * What a `cluster-settings` entry must not be: a value under a credential-named key (`GITHUB_TOKEN`,
 * `DB_PASSWORD`, `API_KEY`; not `SECRET_DOMAIN` or `..._SECRET_PATH`) or a value shaped like a
 * token (GitHub, JWT, AWS key id, private key). URL credentials are the schema's check.
 */
export function settingCredentials(key: string, value: string): CredentialKind[] {
    return credentialsAt(key, value).filter((kind) => kind !== "a URL with a password in it (user:password@host)");
}

/** `text` with URL user-info and credential query values masked, or `[redacted]` if a token shape is left. */
export function maskCredentials(text: string): string {
    const masked = maskUrlCredentials(text).replace(QUERY_PARAM, (whole, name: string, value: string) => (isQueryCredential(name, value) ? whole.slice(0, whole.length - value.length) + "***" : whole));
    return credentialsIn(masked).length > 0 ? "[redacted]" : masked;
}

function maskDeep(value: unknown): unknown {
    if (typeof value === "string") return maskCredentials(value);
    if (Array.isArray(value)) return value.map(maskDeep);
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
    }
    return value;
}

/** The stack config's problem list: every value it prints has its credentials masked first. */
export class ConfigProblems extends Problems {
    override add(path: string, value: unknown, message: string): false {
        return super.add(path, maskDeep(value), message);
    }
}
