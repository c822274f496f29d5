import { currentContext } from "../planners/kubeconfig";

/** What a readiness probe needs from a kubeconfig: the server and the TLS material, as PEM. */
export interface ApiCredentials {
    server: string;
    ca: string;
    cert: string;
    key: string;
}

/** Reads the current context of a kubeconfig with inline (base64) certificate data, as Talos issues it. */
export function credentialsFromKubeconfig(text: string): ApiCredentials {
    const { name, cluster, user } = currentContext(text);
    if (!cluster.server) throw new Error(`kubeconfig context "${name}" has no server`);
    const ca = cluster["certificate-authority-data"];
    const cert = user["client-certificate-data"];
    const key = user["client-key-data"];
    if (!ca || !cert || !key) throw new Error(`kubeconfig context "${name}" lacks inline CA, client certificate or key data`);
    const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
    return { server: cluster.server.replace(/\/+$/, ""), ca: pem(ca), cert: pem(cert), key: pem(key) };
}
