import * as path from "path";
import * as YAML from "yaml";
import { evaluate, type Evaluation, type StackOutputs } from "../tools/engine/engine";
import { offlineNetwork } from "../tools/engine/network";
import { isSecretAt, Recording } from "../tools/engine/recording";
import { main } from "../stacks";
import { ConfigError } from "../model";
import { parseStackConfig } from "../stacks/config/parse";
import { asStackOutputs, evaluateInChildProcess, PROJECT, ROOT, runStack, stackConfig, withKeys } from "./harness";

/** Two clusters, one mesh: outputs, the StackReference from apps to infra, cross-cluster checks. */

const INFRA = "organization/platform/infra";
const b64 = (s: string) => Buffer.from(s).toString("base64");

let infra: Evaluation;
let infraOutputs: StackOutputs;
let apps: Evaluation;
beforeAll(async () => {
    infra = await runStack("infra");
    infraOutputs = asStackOutputs(infra);
    apps = await runStack("apps", { stackReferences: { [INFRA]: infraOutputs } });
});

const ciliumValues = (ev: Evaluation) => ev.recording.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "cilium")!;

describe("stack outputs", () => {
    test("every stack exports its identity, networks and mesh endpoint, typed", () => {
        const plain = (ev: Evaluation, key: string) => {
            expect(ev.outputs[key].secret).toBe(false);
            return ev.outputs[key].value;
        };
        expect(plain(infra, "cluster")).toEqual({ name: "infra", id: 1 });
        expect(plain(infra, "apiEndpoint")).toBe("https://infra-k8s.monosense.io:6443");
        expect(plain(infra, "nodeIps")).toEqual({ controlplane: ["10.25.11.11", "10.25.11.12", "10.25.11.13"], worker: [] });
        expect(plain(infra, "podCidr")).toBe("10.244.0.0/16");
        expect(plain(infra, "serviceCidr")).toBe("10.245.0.0/16");
        expect(plain(infra, "lbPool")).toEqual({ start: "10.25.11.100", stop: "10.25.11.119" });
        expect(plain(infra, "clustermesh")).toEqual({ ip: "10.25.11.100", port: 2379, maxConnectedClusters: 255, authMode: "cluster", routingMode: "native", nativeRoutingCidr: "10.244.0.0/14" });
        expect(plain(infra, "meshPeers")).toEqual([{ name: "apps", id: 2, ip: "10.25.11.120", port: 2379 }]);
        expect(plain(apps, "cluster")).toEqual({ name: "apps", id: 2 });
        expect(plain(apps, "meshPeers")).toEqual([{ name: "infra", id: 1, ip: "10.25.11.100", port: 2379 }]);
    });

    test("credentials are secret outputs; only the CA owner exports the CA", () => {
        for (const ev of [infra, apps]) for (const key of ["kubeconfig", "talosconfig"]) expect(ev.outputs[key].secret).toBe(true);
        expect(infra.outputs.meshCaKeyPem.secret).toBe(true);
        expect(infra.outputs.meshCaCertPem.secret).toBe(false);
        expect(Object.keys(apps.outputs)).not.toContain("meshCaKeyPem");
        expect(apps.outputs.operatorKubeconfig.secret).toBe(true);
    });

    test("apps exports one operator kubeconfig with both clusters as named contexts", () => {
        const kc = YAML.parse(apps.outputs.operatorKubeconfig.value as string);
        expect(kc["current-context"]).toBe("apps");
        expect(kc.contexts.map((c: { name: string }) => c.name)).toEqual(["infra", "apps"]);
        expect(kc.contexts[0].context).toEqual({ cluster: "infra", user: "admin@infra", namespace: "default" });
        const infraServer = YAML.parse(infra.outputs.kubeconfig.value as string).clusters[0].cluster.server;
        expect(kc.clusters[0].cluster.server).toBe(infraServer);
    });
});

describe("the shared CA and the peers", () => {
    test("infra creates the CA once: a protected key and long-lived self-signed CA certificate", () => {
        const key = infra.recording.find("infra-mesh-ca-key");
        const cert = infra.recording.find("infra-mesh-ca-cert");
        expect(key.inputs).toEqual({ algorithm: "RSA", rsaBits: 4096 });
        expect(cert.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: 87600, subject: { commonName: "Cilium CA" } });
        expect([key.protect, cert.protect]).toEqual([true, true]);
        expect(apps.recording.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    });

    test("apps' Cilium values carry infra's CA (key as a secret leaf) and infra's endpoint", () => {
        const values = ciliumValues(apps);
        const v = values.inputs.values as Record<string, any>;
        expect(v.tls.ca.cert).toBe(b64(infraOutputs.outputs.meshCaCertPem as string));
        expect(v.tls.ca.key).toBe(b64(infraOutputs.outputs.meshCaKeyPem as string));
        expect(isSecretAt(values.rawInputs, "values.tls.ca.key")).toBe(true);
        expect(isSecretAt(values.rawInputs, "values.tls.ca.cert")).toBe(false);
        expect(v.clustermesh.config.clusters).toEqual([{ name: "infra", port: 2379, ips: ["10.25.11.100"] }]);
    });

    test("infra's Cilium values carry the apps peer and the same CA", () => {
        const v = ciliumValues(infra).inputs.values as Record<string, any>;
        expect(v.clustermesh.config.clusters).toEqual([{ name: "apps", port: 2379, ips: ["10.25.11.120"] }]);
        expect(v.tls.ca.cert).toBe(b64(infraOutputs.outputs.meshCaCertPem as string));
        expect(isSecretAt(ciliumValues(infra).rawInputs, "values.tls.ca.key")).toBe(true);
    });

    test("apps reads infra by <organization>/<project>/infra", () => {
        expect(apps.recording.resources.filter((r) => r.read).map((r) => [r.type, r.importId])).toEqual([["pulumi:pulumi:StackReference", INFRA]]);
    });

    test.each([
        ["infra", "monosense", "monosense/platform/infra"],
        ["acme/homelab/prod-infra", "organization", "acme/homelab/prod-infra"],
    ])("caStack %s, in organization %s, names stack %s", (caStack, organization, full) => {
        const base = stackConfig("apps");
        const mesh = { ...JSON.parse(base.values["platform:clustermesh"]), caStack };
        const { platform } = parseStackConfig(withKeys(base, { "platform:clustermesh": mesh }), { stack: "apps", project: PROJECT, organization });
        expect(platform.clustermesh.caStack).toBe(full);
    });

    test("a two-part caStack (project/stack) is the stack apps reads, in its own organization", async () => {
        const base = stackConfig("apps");
        const mesh = { ...JSON.parse(base.values["platform:clustermesh"]), caStack: "homelab/prod-infra" };
        const ev = await runStack("apps", { config: withKeys(base, { "platform:clustermesh": mesh }), stackReferences: { "organization/homelab/prod-infra": infraOutputs } });
        expect(ev.recording.resources.filter((r) => r.read).map((r) => r.importId)).toEqual(["organization/homelab/prod-infra"]);
    });

    test("the CA key stays a secret leaf even when the other stack did not mark it secret", async () => {
        const unmarked = await runStack("apps", { stackReferences: { [INFRA]: { outputs: infraOutputs.outputs } } });
        expect(isSecretAt(ciliumValues(unmarked).rawInputs, "values.tls.ca.key")).toBe(true);
    });
});

describe("cross-cluster invariants, checked before anything is created", () => {
    const appsKey = (key: string) => JSON.parse(stackConfig("apps").values[key]);
    /** Runs apps with config keys replaced and/or infra's outputs altered; returns the error message. */
    async function rejects(appsKeys: Record<string, unknown>, infraChange: Record<string, unknown> = {}): Promise<string> {
        const refs = { [INFRA]: { ...infraOutputs, outputs: { ...infraOutputs.outputs, ...infraChange } } };
        const recording = new Recording();
        const err = await evaluate(main, { project: PROJECT, stack: "apps", config: withKeys(stackConfig("apps"), appsKeys), stackReferences: refs, recording, network: offlineNetwork }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        // Nothing but the read of the other stack happened.
        expect(recording.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
        return (err as Error).message;
    }
    const network = (patch: object) => ({ "platform:network": { ...appsKey("platform:network"), ...patch } });
    const cilium = (patch: object) => ({ "platform:cilium": { ...appsKey("platform:cilium"), ...patch } });
    const clustermesh = (patch: object) => ({ "platform:clustermesh": { ...appsKey("platform:clustermesh"), ...patch } });
    const infraMesh = (patch: object) => ({ clustermesh: { ...(infraOutputs.outputs.clustermesh as object), ...patch } });

    test("overlapping pod CIDRs", async () => {
        expect(await rejects(network({ podCidr: "10.244.0.0/16" }))).toContain(
            `platform:network.podCidr = "10.244.0.0/16": overlaps the podCidr of stack ${INFRA} (10.244.0.0/16); meshed clusters route each other's pods and services, so their CIDRs must be disjoint`,
        );
    });

    test("overlapping service CIDRs", async () => {
        expect(await rejects(network({ serviceCidr: "10.245.128.0/17" }))).toContain(`platform:network.serviceCidr = "10.245.128.0/17": overlaps the serviceCidr of stack ${INFRA} (10.245.0.0/16)`);
    });

    test("a node address used by both clusters", async () => {
        const nodes = appsKey("platform:nodes");
        nodes[2].ip = "10.25.11.13";
        expect(await rejects({ "platform:nodes": nodes })).toContain(`platform:nodes = "10.25.11.13": is also a node address of stack ${INFRA}; a node belongs to one cluster`);
    });

    test("equal cluster ids", async () => {
        expect(await rejects({}, { cluster: { name: "infra", id: 2 } })).toContain(`platform:cluster.id = 2: equals the cluster id of stack ${INFRA}; meshed clusters need different ids`);
    });

    test("equal cluster names", async () => {
        expect(await rejects({}, { cluster: { name: "apps", id: 1 } })).toContain(`platform:cluster.name = "apps": equals the cluster name of stack ${INFRA}; meshed clusters need different names`);
    });

    test("overlapping LB pools", async () => {
        expect(await rejects({}, { lbPool: { start: "10.25.11.100", stop: "10.25.11.125" } })).toContain(
            `platform:cilium.lbPool = {"start":"10.25.11.120","stop":"10.25.11.139"}: overlaps the LB pool 10.25.11.100-10.25.11.125 of stack ${INFRA}; both clusters announce on one L2, so their pools must be disjoint`,
        );
    });

    test("apps' declared peer does not match infra's endpoint", async () => {
        expect(await rejects(clustermesh({ peers: [{ name: "infra", id: 1, ip: "10.25.11.101" }] }))).toContain(
            `platform:clustermesh.peers[0] = {"name":"infra","id":1,"ip":"10.25.11.101","port":2379}: does not match what stack ${INFRA} exports ({"name":"infra","id":1,"ip":"10.25.11.100","port":2379})`,
        );
        expect(await rejects({}, infraMesh({ port: 32379 }))).toContain(`does not match what stack ${INFRA} exports ({"name":"infra","id":1,"ip":"10.25.11.100","port":32379})`);
    });

    test("apps does not declare infra as a peer", async () => {
        expect(await rejects(clustermesh({ peers: [{ name: "edge", id: 3, ip: "10.25.11.150" }] }))).toContain(
            `platform:clustermesh.peers = ["edge"]: does not list infra, the cluster of stack ${INFRA}; add {"name":"infra","id":1,"ip":"10.25.11.100","port":2379}`,
        );
    });

    test("infra does not declare apps, or declares it differently", async () => {
        expect(await rejects({}, { meshPeers: [] })).toContain(
            `platform:cluster.name = "apps": is not among the mesh peers stack ${INFRA} declares (none); add {"name":"apps","id":2,"ip":"10.25.11.120","port":2379} to its platform:clustermesh.peers and run pulumi up there first`,
        );
        expect(await rejects({}, { meshPeers: [{ name: "apps", id: 2, ip: "10.25.11.121", port: 2379 }] })).toContain(
            `stack ${INFRA} declares this cluster as {"name":"apps","id":2,"ip":"10.25.11.121","port":2379}; make the two agree`,
        );
    });

    test("different maxConnectedClusters", async () => {
        expect(await rejects(clustermesh({ maxConnectedClusters: 511 }))).toContain(
            `platform:clustermesh.maxConnectedClusters = 511: differs from 255 in stack ${INFRA}; it must be equal in every meshed cluster`,
        );
    });

    test("different routing modes", async () => {
        expect(await rejects(cilium({ routingMode: "tunnel" }))).toContain(`platform:cilium.routingMode = "tunnel": differs from native in stack ${INFRA}; meshed clusters must use the same datapath mode`);
    });

    test("a native-routing CIDR that misses the other cluster's pods", async () => {
        expect(await rejects(cilium({ nativeRoutingCidr: "10.246.0.0/16" }))).toContain(
            `platform:cilium.nativeRoutingCidr = "10.246.0.0/16": does not cover stack ${INFRA}'s pod CIDR 10.244.0.0/16; in native routing it must span the pod CIDRs of every meshed cluster`,
        );
        expect(await rejects({}, infraMesh({ nativeRoutingCidr: "10.244.0.0/16" }))).toContain(`stack ${INFRA} routes 10.244.0.0/16 natively, which misses this cluster's pod CIDR 10.246.0.0/16; fix it there`);
    });

    test("different authentication modes", async () => {
        expect(await rejects(clustermesh({ authMode: "legacy" }))).toContain(`platform:clustermesh.authMode = "legacy": differs from cluster in stack ${INFRA}; both sides must authenticate the same way`);
    });
});

describe("a missing or incomplete infra stack", () => {
    test("an infra stack without the mesh outputs says what to run", async () => {
        const { meshCaKeyPem: _k, kubeconfig: _c, ...outputs } = infraOutputs.outputs;
        const err = await runStack("apps", { stackReferences: { [INFRA]: { outputs } } }).catch((e: unknown) => e);
        expect((err as Error).message).toBe(
            `stack ${INFRA} has no output meshCaKeyPem, kubeconfig: it was not brought up with this program, or with an older version of it. Run pulumi up -s infra first.`,
        );
    });

    test("no infra stack at all: apps fails before creating anything, saying to bring infra up first", async () => {
        // A failed StackReference read runs in a plain Node process (see tests/support/evaluate-cli.ts).
        const res = await evaluateInChildProcess(path.join(ROOT, "stacks", "index.ts"), { project: PROJECT, stack: "apps", config: stackConfig("apps") });
        expect(res.ok).toBe(false);
        expect(res.error).toBe(
            `stack apps takes the mesh CA and the peer's settings from stack ${INFRA}, which could not be read: ` +
                `failed to read resource #${INFRA} '${INFRA}' [pulumi:pulumi:StackReference]: unknown stack "${INFRA}". ` +
                "Bring that cluster up first (pulumi up -s infra), or point platform:clustermesh.caStack at the right stack.",
        );
        expect(res.resources).toEqual([{ type: "pulumi:pulumi:StackReference", name: INFRA, read: true }]);
    }, 60_000);
});
