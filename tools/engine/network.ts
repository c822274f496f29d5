import * as YAML from "yaml";

/**
 * The network as the offline engine sees it: no real requests. The program downloads the pinned
 * upstream CRD bundles at evaluation time; offline, each known bundle URL answers with stand-in
 * CRDs that carry the real CRD names of that bundle but a minimal schema, each annotated as a
 * stand-in so no one mistakes a render for the upstream content (and marked as one for the
 * program, which then skips a bundle's sha256 pin: a stand-in never matches). Anything else is a 404.
 */

/** Annotation on every stand-in object. */
export const STAND_IN_ANNOTATION = "platform.offline/stand-in-for";

const BUNDLES: { pattern: RegExp; group: string; crds: { plural: string; kind: string; group?: string; scope?: string }[] }[] = [
    {
        pattern: /kubernetes-sigs\/gateway-api\/releases\/download\/.+\/standard-install\.yaml$/,
        group: "gateway.networking.k8s.io",
        crds: [
            { plural: "gatewayclasses", kind: "GatewayClass", scope: "Cluster" },
            { plural: "gateways", kind: "Gateway" },
            { plural: "grpcroutes", kind: "GRPCRoute" },
            { plural: "httproutes", kind: "HTTPRoute" },
            { plural: "referencegrants", kind: "ReferenceGrant" },
        ],
    },
    {
        pattern: /cert-manager\/cert-manager\/releases\/download\/.+\/cert-manager\.crds\.yaml$/,
        group: "cert-manager.io",
        crds: [
            { plural: "certificaterequests", kind: "CertificateRequest" },
            { plural: "certificates", kind: "Certificate" },
            { plural: "challenges", kind: "Challenge", group: "acme.cert-manager.io" },
            { plural: "clusterissuers", kind: "ClusterIssuer", scope: "Cluster" },
            { plural: "issuers", kind: "Issuer" },
            { plural: "orders", kind: "Order", group: "acme.cert-manager.io" },
        ],
    },
    {
        pattern: /external-secrets\/external-secrets\/.+\/deploy\/crds\/bundle\.yaml$/,
        group: "external-secrets.io",
        crds: [
            { plural: "clusterexternalsecrets", kind: "ClusterExternalSecret", scope: "Cluster" },
            { plural: "clustersecretstores", kind: "ClusterSecretStore", scope: "Cluster" },
            { plural: "externalsecrets", kind: "ExternalSecret" },
            { plural: "pushsecrets", kind: "PushSecret" },
            { plural: "secretstores", kind: "SecretStore" },
        ],
    },
];

/** Answers a GET like the network would, for the offline engine; a bundle is a stand-in. */
export function offlineNetwork(url: string): { status: number; body: string; standIn?: boolean } {
    const bundle = BUNDLES.find((b) => b.pattern.test(url));
    if (!bundle) return { status: 404, body: "offline: no such document" };
    const docs = bundle.crds.map((c) => {
        const group = c.group ?? bundle.group;
        return {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: `${c.plural}.${group}`, annotations: { [STAND_IN_ANNOTATION]: url } },
            spec: {
                group,
                names: { plural: c.plural, singular: c.kind.toLowerCase(), kind: c.kind, listKind: `${c.kind}List` },
                scope: c.scope ?? "Namespaced",
                versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
            },
        };
    });
    return { status: 200, body: docs.map((d) => YAML.stringify(d)).join("---\n"), standIn: true };
}
