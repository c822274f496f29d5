import * as pulumi from "@pulumi/pulumi";
import { coreDnsValues, fluxInstanceValues } from "../planners/addon-values";
import { ciliumValues, meshPeers } from "../planners/cilium-values";
import { chartSettings, clusterSettings, derivedClusterSettings } from "../planners/cluster-settings";
import type { PlatformConfig } from "../model";
import { parseStackConfig } from "../stacks/config/parse";
import { fixtures } from "./fixtures";
import { PROJECT, stackConfig, withKeys } from "./harness";

/** The pure values builders, one rule at a time. */

const platform = (stack: string, config = stackConfig(stack)): PlatformConfig =>
    parseStackConfig(config, { stack, project: PROJECT, organization: "organization" }).platform;
const infra = platform("infra");
const fluxInputs = (cfg: PlatformConfig) => ({ fluxVersion: cfg.versions.flux, operatorVersion: cfg.charts.fluxOperator.version, gitops: cfg.gitops });
const withCilium = (patch: Record<string, unknown>) => {
    const base = stackConfig("infra");
    return platform("infra", withKeys(base, { "platform:cilium": { ...JSON.parse(base.values["platform:cilium"]), ...patch } }));
};

describe("Cilium on Talos", () => {
    const values = ciliumValues(infra, meshPeers(infra.clustermesh.peers)) as Record<string, any>;

    test("reaches the API through KubePrism and replaces kube-proxy", () => {
        expect(values).toMatchObject({ kubeProxyReplacement: true, k8sServiceHost: "localhost", k8sServicePort: 7445, ipam: { mode: "kubernetes" } });
        const dns = ciliumValues(withCilium({ apiServerAccess: "dns" }), []) as Record<string, any>;
        expect(dns).toMatchObject({ k8sServiceHost: "infra-k8s.monosense.io", k8sServicePort: 6443 });
    });

    test("uses the Talos cgroup and capability settings (camelCase autoMount, no SYS_MODULE)", () => {
        expect(values.cgroup).toEqual({ autoMount: { enabled: false }, hostRoot: "/sys/fs/cgroup" });
        expect(JSON.stringify(values)).not.toContain("automount");
        expect(values.securityContext.capabilities.ciliumAgent).not.toContain("SYS_MODULE");
    });

    test("routes natively over the mesh-wide CIDR, with legacy host routing under eBPF masquerading", () => {
        expect(values).toMatchObject({ routingMode: "native", ipv4NativeRoutingCIDR: "10.244.0.0/14", autoDirectNodeRoutes: true, bpf: { masquerade: true, hostLegacyRouting: true } });
        const tunnel = ciliumValues(withCilium({ routingMode: "tunnel", bpfMasquerade: false }), []) as Record<string, any>;
        expect(tunnel.ipv4NativeRoutingCIDR).toBeUndefined();
        expect(tunnel.bpf).toEqual({ masquerade: false });
    });

    test("turns on BGP, L2 announcements, Gateway API (class created), WireGuard and Hubble relay", () => {
        expect(values).toMatchObject({
            bgpControlPlane: { enabled: true },
            l2announcements: { enabled: true },
            gatewayAPI: { enabled: true, gatewayClass: { create: "true" } },
            encryption: { enabled: true, type: "wireguard" },
            hubble: { enabled: true, relay: { enabled: true }, tls: { auto: { method: "helm" } } },
        });
    });

    test("serves ClusterMesh on its pinned LB IP with the peers, an explicit auth mode and no cronJob certs", () => {
        expect(values.clustermesh).toMatchObject({
            useAPIServer: true,
            maxConnectedClusters: 255,
            config: { enabled: true, clusters: [{ name: "apps", port: 2379, ips: ["10.25.11.120"] }] },
            apiserver: { service: { type: "LoadBalancer", annotations: { "lbipam.cilium.io/ips": "10.25.11.100" } }, tls: { authMode: "cluster", auto: { enabled: true, method: "helm" } } },
        });
        expect(JSON.stringify(values)).not.toContain("cronJob");
        expect(values.tls).toBeUndefined();
    });

    test("takes the shared CA as leaves, so a secret key stays a secret leaf", async () => {
        const key = pulumi.secret("S0VZ");
        const withCa = ciliumValues<pulumi.Input<string>>(infra, [], { cert: "Q0VSVA==", key }) as Record<string, any>;
        expect(withCa.tls.ca.cert).toBe("Q0VSVA==");
        expect(withCa.tls.ca.key).toBe(key);
    });

    test("SPIRE mutual auth works without a StorageClass (no volume: no PVC to wait for) and uses one when given", () => {
        expect(values.authentication.mutual.spire).toEqual({
            enabled: true,
            install: {
                enabled: true,
                namespace: "cilium-spire",
                existingNamespace: true,
                server: { dataStorage: { enabled: false }, podSecurityContext: { runAsUser: 0, runAsGroup: 0 } },
            },
        });
        const stored = ciliumValues(withCilium({ mutualAuth: { enabled: true, storageClass: "openebs-local-nvme" } }), []) as Record<string, any>;
        expect(stored.authentication.mutual.spire.install.server).toEqual({
            dataStorage: { enabled: true, storageClass: "openebs-local-nvme" },
            podSecurityContext: { runAsUser: 0, runAsGroup: 0 },
        });
        const off = ciliumValues(withCilium({ mutualAuth: { enabled: false } }), []) as Record<string, any>;
        expect(off.authentication.mutual.spire).toEqual({ enabled: false });
    });
});

describe("core add-ons", () => {
    test("CoreDNS answers on the 10th address of the service CIDR, kube-dns compatible, two replicas", () => {
        expect(coreDnsValues(infra.network.coreDnsIp)).toMatchObject({ service: { name: "kube-dns", clusterIP: "10.245.0.10" }, k8sAppLabelOverride: "kube-dns", replicaCount: 2 });
        expect(coreDnsValues(platform("apps").network.coreDnsIp).service).toEqual({ name: "kube-dns", clusterIP: "10.247.0.10" });
        expect((coreDnsValues(infra.network.coreDnsIp).tolerations as object[])[0]).toEqual({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    });

    test("the FluxInstance syncs a full ref and the cluster's path, with its health check on", () => {
        expect(fluxInstanceValues(fluxInputs(infra))).toEqual({
            instance: {
                distribution: { version: "2.7.2", registry: "ghcr.io/fluxcd", artifact: "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.33.0" },
                cluster: { type: "kubernetes", networkPolicy: true, multitenant: false, domain: "cluster.local" },
                sync: { kind: "GitRepository", url: "https://github.com/monosense-io/k8s-gitops", ref: "refs/heads/main", path: "kubernetes/clusters/infra", pullSecret: "flux-git-credentials" },
            },
            healthcheck: { enabled: true, timeout: "5m" },
        });
        const solo = platform("solo", fixtures("valid").find((f) => f.name === "single-node")!.config);
        expect((fluxInstanceValues(fluxInputs(solo)).instance as any).sync).toEqual({ kind: "GitRepository", url: "https://github.com/example/solo", ref: "refs/heads/release", path: "kubernetes/clusters/solo" });
    });
});

describe("cluster-settings", () => {
    test("derives the architecture document's keys from the stack config", () => {
        // The chart keys are the next test's.
        const derived = Object.entries(derivedClusterSettings(infra)).filter(([key]) => !/_CHART(_REPOSITORY|_VERSION)?$/.test(key));
        expect(Object.fromEntries(derived)).toEqual({
            CLUSTER: "infra",
            CLUSTER_ID: "1",
            POD_CIDR: '["10.244.0.0/16"]',
            POD_CIDR_STRING: "10.244.0.0/16",
            SERVICE_CIDR: '["10.245.0.0/16"]',
            K8S_SERVICE_HOST: "localhost",
            K8S_SERVICE_PORT: "7445",
            CILIUM_VERSION: "1.18.3",
            CILIUM_NATIVE_ROUTING_CIDR: "10.244.0.0/14",
            CLUSTERMESH_IP: "10.25.11.100",
            CILIUM_GATEWAY_LB_IP: "10.25.11.110",
            CILIUM_BGP_LOCAL_ASN: "64512",
            CILIUM_BGP_PEER_ASN: "64501",
            CILIUM_BGP_PEER_ADDRESS: "10.25.11.1/32",
            CILIUM_LB_POOL_START: "10.25.11.100",
            CILIUM_LB_POOL_END: "10.25.11.119",
            INFRA_POOL_DISABLED: "false",
            APPS_POOL_DISABLED: "true",
            COREDNS_CLUSTER_IP: "10.245.0.10",
            COREDNS_REPLICAS: "2",
            EXTERNAL_SECRET_STORE: "onepassword",
            ONEPASSWORD_CONNECT_HOST: "http://opconnect.monosense.dev",
            ONEPASSWORD_CONNECT_TOKEN_SECRET: "onepassword-connect-token",
        });
    });

    test("names every chart of the catalog: its name, its repository (https:// or the oci:// location) and its version", () => {
        const charts = chartSettings(infra.charts);
        expect(Object.keys(charts).length).toBe(3 * Object.keys(infra.charts).length);
        expect(derivedClusterSettings(infra)).toMatchObject(charts);
        expect(charts).toMatchObject({
            CILIUM_CHART: "cilium",
            CILIUM_CHART_REPOSITORY: "https://helm.cilium.io/",
            CILIUM_CHART_VERSION: "1.18.3",
            SPEGEL_CHART: "spegel",
            SPEGEL_CHART_REPOSITORY: "oci://ghcr.io/spegel-org/helm-charts",
            SPEGEL_CHART_VERSION: "0.4.0",
            FLUX_INSTANCE_CHART: "flux-instance",
            FLUX_INSTANCE_CHART_REPOSITORY: "oci://ghcr.io/controlplaneio-fluxcd/charts",
            PROMETHEUS_OPERATOR_CRDS_CHART_VERSION: "24.0.2",
        });
        // A stack's chart override is what cluster-settings says.
        const base = stackConfig("infra");
        const overridden = platform("infra", withKeys(base, { "platform:charts": { cilium: { version: "1.18.4", repo: "https://charts.example.test/cilium" } } }));
        expect(chartSettings(overridden.charts)).toMatchObject({ CILIUM_CHART_VERSION: "1.18.4", CILIUM_CHART_REPOSITORY: "https://charts.example.test/cilium" });
    });

    test("adds the extra keys from config, sorted", () => {
        const all = clusterSettings(platform("apps"));
        expect(all).toMatchObject({ CLUSTER: "apps", INFRA_POOL_DISABLED: "true", APPS_POOL_DISABLED: "false", GITLAB_ROOT_SECRET_PATH: "kubernetes/apps/gitlab/root" });
        expect(Object.keys(all)).toEqual([...Object.keys(all)].sort((a, b) => a.localeCompare(b)));
    });
});
