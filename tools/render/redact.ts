import { isSecretValue } from "../engine/recording";

/**
 * Replaces every secret leaf by a fake, deterministic placeholder naming its path. A secret
 * object (e.g. a Secret's whole `stringData`, which the Kubernetes SDK marks secret) keeps its
 * keys, which are not secret, with every value replaced.
 */
export function redact(v: unknown, path: string, inSecret = false): unknown {
    if (isSecretValue(v)) return redact(v.value, path, true);
    if (inSecret && (v === null || typeof v !== "object")) return `FAKE-SECRET(${path})`;
    if (Array.isArray(v)) return v.map((x, i) => redact(x, `${path}[${i}]`, inSecret));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x, path ? `${path}.${k}` : k, inSecret)]));
    return v;
}
