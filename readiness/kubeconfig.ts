import { parse as parseYaml } from "yaml";

/** What a readiness probe needs from a kubeconfig: the server and the TLS material, as PEM. */
export interface ApiCredentials {
    server: string;
    ca: string;
    cert: string;
    key: string;
}

interface Kubeconfig {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
    users?: { name: string; user: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
}

/** Reads the current context of a kubeconfig with inline (base64) certificate data, as Talos issues it. */
export function credentialsFromKubeconfig(text: string): ApiCredentials {
    const kc = parseYaml(text) as Kubeconfig;
    const contextName = kc["current-context"] ?? kc.contexts?.[0]?.name;
    const context = kc.contexts?.find((c) => c.name === contextName)?.context;
    if (!context) throw new Error(`kubeconfig has no context "${contextName ?? ""}"`);
    const cluster = kc.clusters?.find((c) => c.name === context.cluster)?.cluster;
    const user = kc.users?.find((u) => u.name === context.user)?.user;
    if (!cluster?.server) throw new Error(`kubeconfig cluster "${context.cluster}" has no server`);
    const ca = cluster["certificate-authority-data"];
    const cert = user?.["client-certificate-data"];
    const key = user?.["client-key-data"];
    if (!ca || !cert || !key) throw new Error(`kubeconfig context "${contextName}" lacks inline CA, client certificate or key data`);
    const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
    return { server: cluster.server.replace(/\/+$/, ""), ca: pem(ca), cert: pem(cert), key: pem(key) };
}
