import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { nodePatches, schematicYaml, SPEGEL_CRI_PART, type UserPatches } from "../planners/talos-patches";
import { parseStackConfig } from "../stacks/config/parse";
import type { PlatformConfig } from "../model";
import { readUserPatches } from "../stacks/user-patches";
import { fixtures } from "./fixtures";
import { PROJECT, stackConfig, withKeys } from "./harness";

/** Machine-config patches: what every node receives, and the rules behind it. */

const noUserPatches: UserPatches = { all: [], controlplane: [], worker: [], nodes: {} };
const platform = (stack: string, config = stackConfig(stack)): PlatformConfig =>
    parseStackConfig(config, { stack, project: PROJECT, organization: "organization" }).platform;
const IMAGE = "factory.talos.dev/installer/abc:v1.11.6";
const docs = (patches: string[]) => patches.map((p) => YAML.parse(p));
const patchInputs = (cfg: PlatformConfig) => ({ network: cfg.network, apiHost: cfg.cluster.apiHost, spegel: cfg.addons.spegel });

describe("patch rules", () => {
    const cfg = platform("infra");
    const [first] = cfg.nodes;
    const [cluster, controlPlane, node, eth0, eth1, install] = docs(nodePatches(patchInputs(cfg), first, IMAGE, noUserPatches));

    test("cluster-wide: no CNI, no kube-proxy, no Talos CoreDNS, KubePrism, cluster CIDRs, kubelet subnet", () => {
        expect(cluster.cluster.network).toEqual({ cni: { name: "none" }, podSubnets: ["10.244.0.0/16"], serviceSubnets: ["10.245.0.0/16"] });
        expect(cluster.cluster.proxy).toEqual({ disabled: true });
        expect(cluster.cluster.coreDNS).toEqual({ disabled: true });
        expect(cluster.machine.features.kubePrism).toEqual({ enabled: true, port: 7445 });
        expect(cluster.machine.kubelet.nodeIP.validSubnets).toEqual(["10.25.11.0/24"]);
    });

    test("Spegel's containerd setting is baked in only when Spegel is on", () => {
        expect(cluster.machine.files).toEqual([{ op: "create", path: "/etc/cri/conf.d/20-customization.part", permissions: 0o644, content: SPEGEL_CRI_PART }]);
        expect(SPEGEL_CRI_PART).toContain("discard_unpacked_layers = false");
        const off = platform("infra", withKeys(stackConfig("infra"), { "platform:addons": { spegel: false } }));
        expect(docs(nodePatches(patchInputs(off), first, IMAGE, noUserPatches))[0].machine.files).toBeUndefined();
    });

    test("control planes: API and apid SANs, etcd on the node subnet, workloads allowed", () => {
        expect(controlPlane).toEqual({
            machine: { certSANs: ["infra-k8s.monosense.io", "127.0.0.1"] },
            cluster: {
                allowSchedulingOnControlPlanes: true,
                apiServer: { certSANs: ["infra-k8s.monosense.io", "127.0.0.1"] },
                etcd: { advertisedSubnets: ["10.25.11.0/24"] },
            },
        });
    });

    test("per node: hostname, bond0 over permanent MACs with LACP, static address, default route, VLAN", () => {
        expect(node.machine.network.hostname).toBe("infra-01");
        expect(node.machine.network.interfaces).toEqual([
            {
                interface: "bond0",
                bond: {
                    deviceSelectors: [{ permanentAddr: "f8:f2:1e:20:57:a0" }, { permanentAddr: "f8:f2:1e:20:57:a1" }],
                    mode: "802.3ad",
                    lacpRate: "fast",
                    xmitHashPolicy: "layer3+4",
                    miimon: 100,
                },
                dhcp: false,
                mtu: 9000,
                addresses: ["10.25.11.11/24"],
                routes: [{ network: "0.0.0.0/0", gateway: "10.25.11.1" }],
                vlans: [{ vlanId: 2512, mtu: 1500, dhcp: false }],
            },
        ]);
    });

    test("one EthernetConfig document per bond member with the ring sizes", () => {
        expect([eth0, eth1]).toEqual([
            { apiVersion: "v1alpha1", kind: "EthernetConfig", name: "enp1s0f0np0", rings: { rx: 8160, tx: 8160 } },
            { apiVersion: "v1alpha1", kind: "EthernetConfig", name: "enp1s0f1np1", rings: { rx: 8160, tx: 8160 } },
        ]);
    });

    test("the install patch always sets the Image Factory installer and the disk (or selector)", () => {
        expect(install).toEqual({ machine: { install: { disk: "/dev/nvme0n1", image: IMAGE } } });
        const fixture = platform("alpha", fixtures("valid").find((f) => f.name === "three-nodes")!.config);
        const third = docs(nodePatches(patchInputs(fixture), fixture.nodes[2], IMAGE, noUserPatches));
        expect(third[third.length - 1]).toEqual({ machine: { install: { diskSelector: { model: "Samsung SSD 980*" }, image: IMAGE } } });
    });

    test("without VLANs or ring sizes those parts are left out", () => {
        const solo = platform("solo", fixtures("valid").find((f) => f.name === "single-node")!.config);
        const patches = docs(nodePatches(patchInputs(solo), solo.nodes[0], IMAGE, noUserPatches));
        expect(patches.map((p) => p.kind ?? "v1alpha1")).toEqual(["v1alpha1", "v1alpha1", "v1alpha1", "v1alpha1"]);
        expect(patches[2].machine.network.interfaces[0].vlans).toBeUndefined();
    });

    test("user patches come last, in order: all nodes, the role, the node", () => {
        const user: UserPatches = { all: ["a: 1\n", "a: 2\n"], controlplane: ["cp: 1\n"], worker: ["w: 1\n"], nodes: { "infra-01": ["n: 1\n"], "infra-02": ["n: 2\n"] } };
        const patches = nodePatches(patchInputs(cfg), first, IMAGE, user);
        expect(patches.slice(-4)).toEqual(["a: 1\n", "a: 2\n", "cp: 1\n", "n: 1\n"]);
    });

    test("the schematic lists the extensions and kernel arguments", () => {
        expect(YAML.parse(schematicYaml(cfg.talos.schematic)).customization.systemExtensions.officialExtensions).toContain("siderolabs/iscsi-tools");
    });
});

describe("user patch files (talos/<cluster>/)", () => {
    const cfg = platform("infra");
    let root: string;
    const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
    };
    beforeEach(() => {
        root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "user-patches-")), "talos");
    });
    afterEach(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

    test("are read per folder in file-name order", () => {
        write("infra/all/20-b.yaml", "machine: {b: 1}\n");
        write("infra/all/10-a.yaml", "machine: {a: 1}\n");
        write("infra/controlplane/10-cp.yaml", "cluster: {cp: 1}\n");
        write("infra/nodes/infra-02.yaml", "machine:\n  network:\n    hostname: infra-02\n---\napiVersion: v1alpha1\nkind: EthernetConfig\nname: eth9\n");
        expect(readUserPatches(cfg, root)).toEqual({
            all: ["machine: {a: 1}\n", "machine: {b: 1}\n"],
            controlplane: ["cluster: {cp: 1}\n"],
            worker: [],
            nodes: { "infra-02": [expect.stringContaining("kind: EthernetConfig")] },
        });
    });

    test("are optional", () => {
        expect(readUserPatches(cfg, root)).toEqual(noUserPatches);
    });

    test("reject, all at once, misplaced, misnamed and broken files", () => {
        write("infra/all/10-bad.yaml", "machine: [unclosed\n");
        write("infra/all/notes.txt", "x");
        write("infra/nodes/infra-09.yaml", "machine: {}\n");
        write("infra/controlplane/empty.yaml", "# nothing\n");
        write("infra/workers/10-typo.yaml", "machine: {}\n");
        let message = "";
        try {
            readUserPatches(cfg, root);
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message.split("\n")).toEqual([
            'Invalid configuration for stack "infra" (5 problems):',
            "  - talos/infra/workers: is not one of all/, controlplane/, worker/, nodes/; see talos/README.md",
            "  - talos/infra/all/notes.txt: is not a .yaml patch file; remove or rename it",
            expect.stringMatching(/^  - talos\/infra\/all\/10-bad\.yaml: is not valid YAML: .+ at line 2, column 1$/),
            "  - talos/infra/controlplane/empty.yaml: is empty; delete it or add a patch",
            "  - talos/infra/nodes/infra-09.yaml: names no node of platform:nodes (known: infra-01, infra-02, infra-03); rename it to <hostname>.yaml",
        ]);
    });

    test("the committed talos/ folder is valid for both stacks", () => {
        expect(() => readUserPatches(platform("infra"))).not.toThrow();
        expect(() => readUserPatches(platform("apps"))).not.toThrow();
    });
});
