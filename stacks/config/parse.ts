import type { z } from "zod";
import { isChartKey } from "../../planners/charts";
import { derivedClusterSettings } from "../../planners/cluster-settings";
import { checkPlatform } from "./checks";
import { ConfigError, keyPath, Problems, type PlatformConfig, type StackContext } from "../../model";
import { derivePlatform } from "./derive";
import { PlatformKeys, type PlatformInput } from "./schema";

/** The project's config namespace (`name` in Pulumi.yaml). */
export const NAMESPACE = "platform";

/** Stack config as the Pulumi runtime hands it over: flat `namespace:key` → string (JSON for objects). */
export interface RawConfig {
    values: Record<string, string>;
    /** Keys whose values are secrets (`secure:` in the stack file). */
    secretKeys: readonly string[];
}

/** The parsed configuration: plain settings plus the secret values, kept apart. */
export interface ParsedConfig {
    platform: PlatformConfig;
    secrets: {
        /** 1Password Connect token for the provider (`onepassword:token`, else OP_CONNECT_TOKEN). */
        onepasswordToken: string;
    };
}

/** Environment variables the configuration may fall back to. */
export interface ConfigEnvironment {
    OP_CONNECT_TOKEN?: string;
}

/**
 * Parses and validates one stack's raw configuration. Pure: no Pulumi runtime access. Throws a
 * `ConfigError` listing every problem found; returns only when the configuration is usable.
 */
export function parseStackConfig(raw: RawConfig, ctx: StackContext, env: ConfigEnvironment = {}): ParsedConfig {
    const problems = new Problems();
    const input = parsePlatformKeys(raw, problems);
    const onepassword = parseOnePassword(raw, env, problems);

    if (input.charts) {
        for (const key of Object.keys(input.charts)) {
            if (!isChartKey(key)) problems.add(`${NAMESPACE}:charts.${key}`, input.charts[key], "is not a chart this program installs; see planners/charts.ts for the keys");
        }
    }
    checkPlatform(input, problems);
    if (!problems.empty || !isComplete(input) || onepassword === undefined) throw new ConfigError(ctx.stack, problems.list);

    const platform = derivePlatform(input, ctx, onepassword.url);
    for (const key of Object.keys(derivedClusterSettings(platform))) {
        if (key in platform.clusterSettings) {
            problems.add(`${NAMESPACE}:clusterSettings.${key}`, platform.clusterSettings[key], "is derived from the stack config and cannot be set here; change the setting it comes from");
        }
    }
    if (!problems.empty) throw new ConfigError(ctx.stack, problems.list);
    return { platform, secrets: { onepasswordToken: onepassword.token } };
}

type PartialInput = Partial<PlatformInput>;

function parsePlatformKeys(raw: RawConfig, problems: Problems): PartialInput {
    const known = Object.keys(PlatformKeys) as (keyof typeof PlatformKeys)[];
    // A value set with --secret is never echoed back, whatever is wrong with it.
    const shown = (fullKey: string, value: unknown) => (raw.secretKeys.includes(fullKey) ? "[secret]" : value);
    for (const fullKey of Object.keys(raw.values).sort()) {
        const [ns, key] = splitKey(fullKey);
        if (ns !== NAMESPACE) continue;
        if (!(known as string[]).includes(key)) {
            problems.add(fullKey, shown(fullKey, raw.values[fullKey]), `is not a known key; known keys: ${known.map((k) => `${NAMESPACE}:${k}`).join(", ")}`);
        }
        if (raw.secretKeys.includes(fullKey)) {
            problems.add(fullKey, "[secret]", "must not be a secret: this key holds no credentials (secrets come from 1Password or onepassword:token)");
        }
    }

    const out: Record<string, unknown> = {};
    for (const key of known) {
        const fullKey = `${NAMESPACE}:${key}`;
        const text = raw.values[fullKey];
        let value: unknown;
        if (text !== undefined) {
            // Structured stack config reaches programs as JSON text; every platform key is structured.
            try {
                value = JSON.parse(text);
            } catch {
                value = text;
            }
            if (value === null || typeof value !== "object") {
                problems.add(fullKey, shown(fullKey, text), "must be a YAML mapping or list, not a plain value");
                continue;
            }
        }
        const schema: z.ZodType = PlatformKeys[key];
        const result = schema.safeParse(value, { reportInput: true });
        if (result.success) {
            out[key] = result.data;
            continue;
        }
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                for (const k of issue.keys) {
                    const path = keyPath(NAMESPACE, [key, ...issue.path, k]);
                    problems.add(path, shown(fullKey, lookup(value, [...issue.path, k])), "is not a known key here; check its spelling against the README, Stack configuration");
                }
                continue;
            }
            const path = keyPath(NAMESPACE, [key, ...issue.path]);
            if (issue.code === "invalid_key") {
                problems.add(path, undefined, issue.issues[0]?.message ?? issue.message);
                continue;
            }
            const found = lookup(value, issue.path);
            problems.add(path, found === undefined ? undefined : shown(fullKey, found), found === undefined ? "is required; see the README, Stack configuration" : issue.message);
        }
    }
    return out as PartialInput;
}

function parseOnePassword(raw: RawConfig, env: ConfigEnvironment, problems: Problems): { url: string; token: string } | undefined {
    const url = raw.values["onepassword:url"];
    const configured = raw.values["onepassword:token"];
    if (url === undefined) {
        problems.add("onepassword:url", undefined, "is required: the 1Password Connect URL, e.g. `pulumi config set onepassword:url http://opconnect.example.com`");
    } else if (!/^https?:\/\/\S+$/.test(url)) {
        problems.add("onepassword:url", url, "must be an http(s) URL of the 1Password Connect server");
    }
    if (configured !== undefined && !raw.secretKeys.includes("onepassword:token")) {
        problems.add("onepassword:token", "[redacted]", "is stored in plain text; remove it and run `pulumi config set --secret onepassword:token <Connect token>`");
    }
    const token = configured ?? env.OP_CONNECT_TOKEN;
    if (token === undefined || token === "") {
        problems.add("onepassword:token", undefined, "is required: run `pulumi config set --secret onepassword:token <Connect token>` or export OP_CONNECT_TOKEN");
    }
    if (url === undefined || token === undefined) return undefined;
    return { url, token };
}

function isComplete(input: PartialInput): input is PlatformInput {
    return (Object.keys(PlatformKeys) as (keyof PlatformInput)[]).every((k) => input[k] !== undefined);
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = value;
    for (const seg of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}
