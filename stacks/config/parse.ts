import { ConfigError, hasUrlCredentials, type Problems, REDACTED, type PlatformConfig, type StackContext } from "../../model";
import type { UserPatches } from "../../planners/talos-patches";
import { collectUserPatches, NO_USER_PATCHES, patchFacts } from "../user-patches";
import { checkPlatform } from "./checks";
import { ConfigProblems, queryCredentials } from "./credentials";
import { derivePlatform } from "./derive";
import { parsePlatformKeys, type RawConfig } from "./keys";
import { PlatformKeys, type PlatformInput } from "./schema";

export { NAMESPACE, type RawConfig } from "./keys";

/** The parsed configuration: plain settings plus the secret values, kept apart. */
export interface ParsedConfig {
    platform: PlatformConfig;
    secrets: {
        /** 1Password Connect token for the provider (`onepassword:token`, else OP_CONNECT_TOKEN). */
        onepasswordToken: string;
    };
    /** The cluster's machine-config patch files (none unless `patchRoot` was given). */
    userPatches: UserPatches;
}

/** Environment variables the configuration may fall back to. */
export interface ConfigEnvironment {
    OP_CONNECT_TOKEN?: string;
}

export interface ParseOptions {
    /** The `talos/` folder: its patch files are checked with the stack config, in the same run. */
    patchRoot?: string;
}

/**
 * Parses and validates one stack's raw configuration, and its patch files when `patchRoot` is
 * given. Pure apart from reading those files: no Pulumi runtime access. Throws one `ConfigError`
 * listing every problem found (field errors, whole-configuration rules on whatever parsed, the
 * single-stack mesh rules, the patch files); returns only when the configuration is usable.
 */
export function parseStackConfig(raw: RawConfig, ctx: StackContext, env: ConfigEnvironment = {}, options: ParseOptions = {}): ParsedConfig {
    const problems = new ConfigProblems();
    const { input, parts } = parsePlatformKeys(raw, problems);
    const onepassword = parseOnePassword(raw, env, problems);
    checkPlatform(parts, problems);
    const facts = options.patchRoot === undefined ? undefined : patchFacts(parts, options.patchRoot);
    const userPatches = facts ? collectUserPatches(facts, problems) : NO_USER_PATCHES;
    if (!problems.empty || !isComplete(input) || onepassword === undefined) throw new ConfigError(ctx.stack, problems.list);
    return { platform: derivePlatform(input, ctx, onepassword.url), secrets: { onepasswordToken: onepassword.token }, userPatches };
}

/**
 * `onepassword:url` and `onepassword:token`. The token is never printed. The URL set with
 * `--secret` is refused with the key names (keys.ts) and not checked further: its value is never
 * printed, and `npm run render` only has a placeholder for it.
 */
function parseOnePassword(raw: RawConfig, env: ConfigEnvironment, problems: Problems): { url: string; token: string } | undefined {
    const url = raw.values["onepassword:url"];
    const configured = raw.values["onepassword:token"];
    if (url === undefined) {
        problems.add("onepassword:url", undefined, "is required: the 1Password Connect URL, e.g. `pulumi config set onepassword:url http://opconnect.example.com`");
    } else if (raw.secretKeys.includes("onepassword:url")) {
        // Refused as a secret (keys.ts).
    } else if (!/^https?:\/\/\S+$/.test(url)) {
        problems.add("onepassword:url", url, "must be an http(s) URL of the 1Password Connect server, such as http://opconnect.example.com");
    } else if (hasUrlCredentials(url)) {
        problems.add("onepassword:url", url, "must not carry credentials (user:password@): Connect authenticates with onepassword:token; remove them from the URL");
    }
    if (url !== undefined && !raw.secretKeys.includes("onepassword:url") && queryCredentials(url).length > 0) {
        problems.add("onepassword:url", url, "must not carry a credential in its query string (such as ?access_token=...): Connect authenticates with onepassword:token; remove it from the URL");
    }
    if (configured !== undefined && !raw.secretKeys.includes("onepassword:token")) {
        problems.add("onepassword:token", REDACTED, "is stored in plain text; remove it and run `pulumi config set --secret onepassword:token <Connect token>`");
    }
    const token = configured ?? env.OP_CONNECT_TOKEN;
    if (token === undefined || token === "") {
        problems.add("onepassword:token", undefined, "is required: run `pulumi config set --secret onepassword:token <Connect token>` or export OP_CONNECT_TOKEN");
    }
    if (url === undefined || token === undefined) return undefined;
    return { url, token };
}

function isComplete(input: Partial<PlatformInput>): input is PlatformInput {
    return (Object.keys(PlatformKeys) as (keyof PlatformInput)[]).every((k) => input[k] !== undefined);
}
