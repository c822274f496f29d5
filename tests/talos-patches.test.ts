import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { nodePatches, schematicYaml, type UserPatches } from "../planners/talos-patches";
import { parseStackConfig } from "../stacks/config/parse";
import type { ClusterTarget, PlatformConfig } from "../model";
import { Recording, SECRET_SIG, SIG_KEY, unwrapSecrets } from "../tools/engine/recording";
import { renderArtifacts } from "../tools/render/artifacts";
import { readUserPatches } from "../stacks/user-patches";
import { fixtures } from "./fixtures";
import { PROJECT, runStack, stackConfig, withKeys } from "./harness";

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
        // The TOML fragment Talos appends to containerd's CRI configuration, written out: the image
        // service of containerd 2 (Talos 1.9+) keeps unpacked layers, which Spegel serves to peers.
        expect(cluster.machine.files).toEqual([
            { op: "create", path: "/etc/cri/conf.d/20-customization.part", permissions: 0o644, content: '[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = false\n' },
        ]);
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

    test("the LACP rate is emitted in 802.3ad mode only (Talos refuses it in any other mode)", () => {
        const bondOf = (c: PlatformConfig, bond = c.network.bond) => docs(nodePatches(patchInputs({ ...c, network: { ...c.network, bond } }), c.nodes[0], IMAGE, noUserPatches))[2].machine.network.interfaces[0].bond;
        expect(bondOf(cfg)).toMatchObject({ mode: "802.3ad", lacpRate: "fast" });
        // Even if a caller hands one over, another mode never gets it.
        expect(bondOf(cfg, { ...cfg.network.bond, mode: "active-backup", lacpRate: "fast" })).not.toHaveProperty("lacpRate");
        const activeBackup = platform("alpha", fixtures("valid").find((f) => f.name === "active-backup-bond")!.config);
        expect(activeBackup.network.bond).not.toHaveProperty("lacpRate");
        expect(bondOf(activeBackup)).toEqual({ deviceSelectors: expect.any(Array), mode: "active-backup", xmitHashPolicy: "layer3+4", miimon: 100 });
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
        write("infra/nodes/infra-02.yaml", "machine:\n  nodeLabels:\n    rack: r2\n---\napiVersion: v1alpha1\nkind: EthernetConfig\nname: eth9\n");
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
            "  - talos/infra/workers: is not one of all/, controlplane/, worker/, nodes/ (did you mean worker/?); see talos/README.md",
            "  - talos/infra/all/notes.txt: is not a .yaml patch file; remove or rename it",
            "  - talos/infra/all/10-bad.yaml: is not valid YAML at line 2, column 1 (the end of the file): Flow sequence in block collection must be sufficiently indented and end with a ]",
            "  - talos/infra/controlplane/empty.yaml: is empty; delete it or add a patch",
            "  - talos/infra/nodes/infra-09.yaml: names no node of platform:nodes (known: infra-01, infra-02, infra-03); rename it to <hostname>.yaml",
        ]);
    });

    /** The problem lines of reading the patches under `root`, without the header. */
    const problemLines = (config = cfg): string[] => {
        try {
            readUserPatches(config, root);
            return [];
        } catch (e) {
            return (e as Error).message.split("\n").slice(1);
        }
    };

    test("YAML errors name the file and the line, counted from the top of the file, also in a later document", () => {
        write("infra/all/10-two-docs.yaml", "machine:\n  sysctls: {a: '1'}\n---\napiVersion: v1alpha1\nkind: EthernetConfig\nname: eth9\n  rings: {rx: 256}\n");
        expect(problemLines()).toEqual([expect.stringMatching(/^  - talos\/infra\/all\/10-two-docs\.yaml: is not valid YAML at line 6, column \d+: /)]);
    });

    test("only strategic-merge patches: a plain value, an RFC 6902 patch (well-formed or not) and any other list are refused", () => {
        write("infra/all/10-string.yaml", "machine.sysctls.vm.max_map_count=262144\n");
        write("infra/all/20-json6902.yaml", '[{"op": "add", "path": "/machine/sysctls", "value": {"a": "1"}}]\n');
        write("infra/all/30-broken6902.yaml", "- op: add\n  value: 1\n");
        write("infra/all/40-second-doc.yaml", "machine: {sysctls: {a: '1'}}\n---\n- just a list\n");
        expect(problemLines()).toEqual([
            "  - talos/infra/all/10-string.yaml: is a plain string, not a patch: a strategic-merge patch is a YAML mapping such as `machine: {...}`",
            expect.stringMatching(/^  - talos\/infra\/all\/20-json6902\.yaml: is a YAML list \(an RFC 6902 JSON patch\?\), not a strategic-merge patch; .*use `\$patch: delete` to remove a key$/),
            expect.stringMatching(/^  - talos\/infra\/all\/30-broken6902\.yaml: is a YAML list /),
            expect.stringMatching(/^  - talos\/infra\/all\/40-second-doc\.yaml: document 2 is a YAML list /),
        ]);
    });

    test("credentials are refused, naming the file and the field but never the value", () => {
        const SECRET = "hunter2-never-printed";
        write("infra/all/10-registry.yaml", `machine:\n  registries:\n    config:\n      ghcr.io:\n        auth: {username: bot, password: ${SECRET}}\n      quay.io:\n        auth: {identityToken: ${SECRET}}\n`);
        write("infra/all/20-pki.yaml", `machine:\n  ca: {key: ${SECRET}}\ncluster:\n  secretboxEncryptionSecret: ${SECRET}\n  token: ${SECRET}\n  serviceAccount: {key: ${SECRET}}\n`);
        write("infra/all/30-mirror.yaml", `machine:\n  registries:\n    mirrors:\n      docker.io:\n        endpoints: ["https://bot:${SECRET}@mirror.example.com"]\n`);
        write("infra/all/40-env.yaml", `machine:\n  env:\n    TS_AUTHKEY: ${SECRET}\n    https_proxy: http://proxy.example.com:3128\n`);
        write("infra/all/50-volume.yaml", `apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\nencryption:\n  provider: luks2\n  keys: [{slot: 0, static: {passphrase: ${SECRET}}}]\n`);
        const lines = problemLines();
        expect(lines.join("\n")).not.toContain(SECRET);
        expect(lines.map((l) => l.replace(/\. Patch files are committed to Git.*$/, ""))).toEqual([
            '  - talos/infra/all/10-registry.yaml: sets machine.registries.config["ghcr.io"].auth, registry credentials (username, password, auth, identityToken)',
            '  - talos/infra/all/10-registry.yaml: sets machine.registries.config["quay.io"].auth, registry credentials (username, password, auth, identityToken)',
            "  - talos/infra/all/20-pki.yaml: sets machine.ca.key, the machine CA's private key",
            "  - talos/infra/all/20-pki.yaml: sets cluster.token, the cluster bootstrap token",
            "  - talos/infra/all/20-pki.yaml: sets cluster.secretboxEncryptionSecret, the Secret encryption key (secretbox)",
            "  - talos/infra/all/20-pki.yaml: sets cluster.serviceAccount.key, the service-account signing key",
            '  - talos/infra/all/30-mirror.yaml: sets machine.registries.mirrors["docker.io"].endpoints[0], a URL with credentials in it',
            "  - talos/infra/all/40-env.yaml: sets machine.env.TS_AUTHKEY, the environment variable TS_AUTHKEY, which by its name holds a credential",
            "  - talos/infra/all/50-volume.yaml: sets encryption.keys[0].static.passphrase, a disk encryption passphrase",
        ]);
        expect(lines[0]).toContain("Patch files are committed to Git, so no credential may be in one, and this program does not support secret-bearing patches yet: remove it from the file");
    });

    test("settings the platform owns are refused, naming the file and the path", () => {
        const cases: [string, string][] = [
            ["cluster: {clusterName: other}", "cluster.clusterName"],
            ["cluster: {network: {cni: {name: flannel}}}", "cluster.network.cni"],
            ["cluster: {network: {podSubnets: [10.42.0.0/16]}}", "cluster.network.podSubnets"],
            ["cluster: {network: {serviceSubnets: [10.43.0.0/16]}}", "cluster.network.serviceSubnets"],
            ["cluster: {network: {$patch: delete}}", "cluster.network (with $patch: delete)"],
            ["machine: {install: {disk: /dev/sdb}}", "machine.install.disk"],
            ["machine: {install: {image: ghcr.io/siderolabs/installer:v1.11.0}}", "machine.install.image"],
            ["cluster: {controlPlane: {endpoint: https://10.25.11.11:6443}}", "cluster.controlPlane.endpoint"],
            ["machine: {network: {hostname: other}}", "machine.network.hostname"],
            ["machine: {network: {interfaces: [{interface: bond0, addresses: [10.25.11.50/24]}]}}", "machine.network.interfaces[0] (bond0)"],
            ["machine: {network: {interfaces: [{deviceSelector: {hardwareAddr: 'F8:F2:1E:20:57:A0'}, dhcp: true}]}}", "machine.network.interfaces[0] (by MAC)"],
            ["machine: {kubelet: {nodeIP: {validSubnets: [0.0.0.0/0]}}}", "machine.kubelet.nodeIP"],
            ["machine: {features: {kubePrism: {enabled: false}}}", "machine.features.kubePrism"],
            ["machine: {type: worker}", "machine.type"],
            ["cluster: {proxy: {disabled: false}}", "cluster.proxy"],
            ["cluster: {coreDNS: {disabled: false}}", "cluster.coreDNS"],
            ["apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: other", "HostnameConfig"],
            ["apiVersion: v1alpha1\nkind: EthernetConfig\nname: enp1s0f0np0\nrings: {rx: 256}", "EthernetConfig enp1s0f0np0 rings"],
        ];
        cases.forEach(([patch, _], i) => write(`infra/all/${String(i).padStart(2, "0")}.yaml`, patch + "\n"));
        expect(problemLines()).toEqual(
            cases.map(([, at], i) => expect.stringMatching(new RegExp(`^  - talos/infra/all/${String(i).padStart(2, "0")}\\.yaml: sets ${at.replace(/[.$()[\]]/g, "\\$&")}, which the platform owns \\(.+\\); remove it from the patch and change the stack config instead$`))),
        );
    });

    test("everything else may be patched: other interfaces and links, files, sysctls, labels", () => {
        write("infra/all/10-ok.yaml", "machine:\n  sysctls: {vm.max_map_count: '262144'}\n  nodeLabels: {rack: r1}\n  files: [{op: create, path: /var/etc/x, content: x, permissions: 0o644}]\n  network:\n    interfaces: [{interface: eno3, addresses: [10.30.0.11/24]}]\n  certSANs: [infra.example.com]\n");
        write("infra/all/20-eth.yaml", "apiVersion: v1alpha1\nkind: EthernetConfig\nname: eno3\nrings: {rx: 256}\n");
        // talos/README.md's example of removing a section.
        write("infra/controlplane/10-admission.yaml", "cluster:\n  apiServer:\n    admissionControl:\n      $patch: delete\n");
        expect(problemLines()).toEqual([]);
    });

    test("a folder under talos/ that names no configured cluster is refused, with the closest name", () => {
        // Clusters: this one, its mesh peers, and any the project's stack files declare.
        fs.writeFileSync(path.join(path.dirname(root), "Pulumi.edge.yaml"), "config:\n  platform:cluster: {name: edge, id: 9, apiHost: edge.example.com}\n");
        for (const dir of ["Infra", "infar", "apps", "edge", "provider", "scratch"]) write(`${dir}/all/10.yaml`, "machine: {sysctls: {a: '1'}}\n");
        write("10-stray.yaml", "machine: {}\n");
        expect(problemLines()).toEqual([
            "  - talos/10-stray.yaml: applies to no cluster; patch files go in talos/<cluster>/{all,controlplane,worker,nodes}/ (see talos/README.md)",
            "  - talos/Infra: is not a configured cluster (known: infra, apps, edge; did you mean talos/infra/?) nor provider/, so no patch in it would ever be applied; rename it to a platform:cluster.name",
            "  - talos/infar: is not a configured cluster (known: infra, apps, edge; did you mean talos/infra/?) nor provider/, so no patch in it would ever be applied; rename it to a platform:cluster.name",
            "  - talos/scratch: is not a configured cluster (known: infra, apps, edge) nor provider/, so no patch in it would ever be applied; rename it to a platform:cluster.name",
        ]);
    });

    test("the committed talos/ folder is valid for both stacks", () => {
        expect(() => readUserPatches(platform("infra"))).not.toThrow();
        expect(() => readUserPatches(platform("apps"))).not.toThrow();
    });
});

describe("the render of what each node receives (talos/<hostname>.yaml, rollout.json)", () => {
    const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
    let files: Map<string, string>;
    beforeAll(async () => {
        // The program sends no secret there today; plant some, as a later change might.
        const { recording } = await runStack("infra");
        // Recorded as the engine would record them: wrapped in rawInputs, plain in inputs.
        const withInputs = (rawInputs: Record<string, unknown>) => ({ rawInputs, inputs: unwrapSecrets(rawInputs) as Record<string, unknown> });
        const planted = new Recording();
        for (const r of recording.resources) {
            const desired = r.rawInputs.desired as ClusterTarget | undefined;
            planted.add(desired && r.inputs.protocol !== undefined ? { ...r, ...withInputs({ ...r.rawInputs, desired: { ...desired, talos: { ...desired.talos, schematic: secret("PLANTED-schematic") } } }) } : r);
        }
        // The first node's machine configuration: its first patch and the Kubernetes version.
        const first = recording.invokesOf("talos:machine/getConfiguration:getConfiguration")[0];
        for (const call of recording.invokes) {
            const patches = call.rawInputs.configPatches as unknown[];
            planted.invokes.push(call === first ? { ...call, ...withInputs({ ...call.rawInputs, configPatches: [secret("PLANTED-patch"), ...patches.slice(1)], kubernetesVersion: secret("PLANTED-version") }) } : call);
        }
        files = renderArtifacts("infra", { recording: planted, outputs: {} }, []);
    });

    test("shows every secret input as the render's placeholder, never its value", () => {
        expect([...files].filter(([, text]) => text.includes("PLANTED")).map(([name]) => name)).toEqual([]);
        const first = files.get("talos/infra-01.yaml")!;
        expect(first).toContain("#   kubernetesVersion: FAKE-SECRET(kubernetesVersion)\n");
        expect(first).toContain("---\nFAKE-SECRET(configPatches[0])");
        expect(JSON.parse(files.get("rollout.json")!).talos.schematic).toBe("FAKE-SECRET(desired.talos.schematic)");
    });
});
