import { z } from "zod";
import { hasUrlCredentials } from "../../model";
import { queryCredentials, URL_QUERY_CREDENTIALS } from "./credentials";

/**
 * Field types shared by the stack-config schemas (`schema.ts`): addresses, names, versions, URLs
 * and bounded numbers, each with a message that says what is expected and what to do.
 */

export const Ipv4 = z.ipv4({ error: "must be an IPv4 address such as 10.25.11.11" });
export const Cidr = z.cidrv4({ error: "must be an IPv4 CIDR such as 10.244.0.0/16" });

/** A whole number in [min, max]; `what` says what the number is and how to pick one. */
export function intBetween(min: number, max: number, what: string): z.ZodInt {
    const error = `must be between ${min} and ${max}: ${what}`;
    return z.int().min(min, { error }).max(max, { error });
}

/** A whole number of at least `min`. */
export function intAtLeast(min: number, what: string): z.ZodInt {
    return z.int().min(min, { error: `must be ${min} or more: ${what}` });
}

export const Port = intBetween(1, 65535, "a TCP port");
export const Mtu = intBetween(1280, 9216, "use the MTU the switch ports are set to (9000 for jumbo frames)");

/** An exact version pin: 1.2.3 or v1.2.3 (optionally with a pre-release suffix); never a range. */
export const ExactVersion = z.string().regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, {
    error: "must be an exact version such as 1.18.3 or v1.19.1 (no ranges, wildcards or 'latest')",
});

/** An RFC 1123 label, as used for hostnames and Kubernetes node names. */
export const Hostname = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: "must be a lowercase RFC 1123 label (a-z, 0-9, '-'; at most 63 characters)",
});

/** A DNS name such as infra-k8s.monosense.io. */
export const DnsName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/, {
    error: "must be a lowercase DNS name such as infra-k8s.example.com",
});

/** A Cilium cluster name: at most 32 characters of [a-z0-9-], starting and ending alphanumeric. */
export const ClusterName = z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, {
        error: "must be a valid Cilium cluster name (lowercase a-z, 0-9 and '-', at most 32 characters, alphanumeric at both ends)",
    })
    .refine((n) => n !== "default", { error: "must not be 'default' (Cilium reserves it)" });

export const Mac = z.mac({ delimiter: ":", error: "must be a MAC address such as f8:f2:1e:20:57:a0" });

/** A Go duration as Talos and its provider take it, e.g. 10m, 720h, 1h30m. */
export const GoDuration = z.string().regex(/^(\d+(ns|us|µs|ms|s|m|h))+$/, { error: "must be a duration such as 10m or 720h" });

/** A folder or path relative to the project or repository, e.g. kubernetes/clusters/infra. */
export const RelativePath = (example: string) =>
    z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: `must be a relative path such as ${example}` });

/** The message for a URL with user-info: where credentials go instead. */
export const URL_CREDENTIALS =
    "must not carry credentials (user:password@ or a token before @): they would be stored in plain text in the stack file, Pulumi state and the cluster; remove them from the URL";

/**
 * A URL with one of `schemes` and no credentials inside it: none in its user-info, none in its
 * query string. The problem list masks both in any URL it prints, so the credential is never echoed.
 */
export function UrlWithout(schemes: readonly string[], error: string): z.ZodType<string> {
    const pattern = new RegExp(`^(${schemes.join("|")}):\\/\\/\\S+$`);
    return z
        .string()
        .regex(pattern, { error })
        .refine((url) => !hasUrlCredentials(url), { error: URL_CREDENTIALS })
        .refine((url) => queryCredentials(url).length === 0, { error: URL_QUERY_CREDENTIALS });
}
