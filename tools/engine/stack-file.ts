import * as fs from "fs";
import * as YAML from "yaml";
import type { RawConfig } from "../../stacks/config/parse";

/**
 * Reads a `Pulumi.<stack>.yaml` file into the flat form the Pulumi runtime gives a program, the
 * way the CLI does: `namespace:key` keys (a bare key gets the project namespace), scalars as
 * strings, structured values as JSON text. `secure:` values cannot be decrypted without the
 * stack's passphrase, so each becomes a clearly fake, deterministic placeholder and its key is
 * marked secret. A file that is not valid YAML, or has no `config:` section, is an error naming it.
 */
export function readStackFile(file: string, project: string): RawConfig {
    const text = fs.readFileSync(file, "utf8");
    let doc: Record<string, unknown> | null;
    try {
        doc = YAML.parse(text) as Record<string, unknown> | null;
    } catch (e) {
        // The parser's message says where (line, column, the lines around it) but not in which file.
        throw new Error(`${file} is not valid YAML: ${(e as Error).message}`);
    }
    // Without config: Pulumi reads no settings at all; say that rather than report every key missing.
    if (doc === null || typeof doc !== "object" || !("config" in doc)) {
        // Keys Pulumi itself writes at the top level of a stack file are not misplaced settings.
        const stray = doc !== null && typeof doc === "object" ? Object.keys(doc).filter((k) => !["encryptionsalt", "secretsprovider", "encryptedkey", "environment"].includes(k)) : [];
        throw new Error(
            stray.length > 0
                ? `${file} has no config: section, so Pulumi would read none of its settings; indent ${stray.join(", ")} under a top-level config: key`
                : `${file} has no config: section; stack settings go under a top-level config: key`,
        );
    }
    return stackConfigFromYaml(text, project);
}

/** As `readStackFile`, from YAML text. */
export function stackConfigFromYaml(text: string, project: string): RawConfig {
    const doc = (YAML.parse(text) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        let secret = false;
        const plain = replaceSecure(value, key, () => (secret = true));
        values[key] = typeof plain === "string" ? plain : typeof plain === "object" && plain !== null ? JSON.stringify(plain) : String(plain);
        if (secret) secretKeys.push(key);
    }
    return { values, secretKeys };
}

/** The placeholder that stands in for a `secure:` value. */
export function secretPlaceholder(key: string): string {
    return `FAKE-SECRET(${key})`;
}

function replaceSecure(value: unknown, key: string, markSecret: () => void): unknown {
    if (isSecure(value)) {
        markSecret();
        return secretPlaceholder(key);
    }
    if (Array.isArray(value)) return value.map((v) => replaceSecure(v, key, markSecret));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, key, markSecret)]));
    }
    return value;
}

function isSecure(value: unknown): boolean {
    return value !== null && typeof value === "object" && Object.keys(value).length === 1 && "secure" in value;
}
