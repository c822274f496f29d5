import * as YAML from "yaml";
import { KUBEPRISM_PORT, type Network, type NodeSpec, type Schematic } from "../model";

/**
 * Talos machine-config patches, built as objects and serialised to YAML (never string templates).
 * A node receives, in this order: the cluster-wide patch, its role's patch, its own patch (host
 * name and network), one EthernetConfig document per bond member, its install patch, then the
 * user's patch files (all, role, node) so that they can override anything above.
 */

/** Where containerd picks up extra CRI configuration on Talos. */
export const CRI_CUSTOMIZATION_PATH = "/etc/cri/conf.d/20-customization.part";

/** Spegel serves layers from containerd's content store, so containerd must keep unpacked layers. */
export const SPEGEL_CRI_PART = '[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = false\n';

/** What the generated patches are built from. */
export interface PatchInputs {
    network: Network;
    /** The Kubernetes API DNS name (control-plane certificate SANs). */
    apiHost: string;
    /** Spegel on: containerd keeps unpacked layers. */
    spegel: boolean;
}

/** Serialises a patch object deterministically (insertion order, no line wrapping). */
export function toYaml(patch: object): string {
    return YAML.stringify(patch, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Settings every node shares: CNI off, kube-proxy off, KubePrism, host DNS, kubelet subnets. */
export function clusterPatch(network: Network, spegel: boolean): object {
    return {
        machine: {
            network: { nameservers: network.nameservers },
            kubelet: { nodeIP: { validSubnets: [network.nodeCidr] } },
            features: {
                // Cilium and the kubelet reach the API server through KubePrism on localhost.
                kubePrism: { enabled: true, port: KUBEPRISM_PORT },
                // Kept on explicitly; Cilium's values compensate (bpf.hostLegacyRouting).
                hostDNS: { enabled: true, forwardKubeDNSToHost: true },
            },
            // Baked in from the start: changing machine.files on a running node needs a reboot.
            ...(spegel
                ? { files: [{ op: "create", path: CRI_CUSTOMIZATION_PATH, permissions: 0o644, content: SPEGEL_CRI_PART }] }
                : {}),
        },
        cluster: {
            network: {
                cni: { name: "none" },
                podSubnets: [network.podCidr],
                serviceSubnets: [network.serviceCidr],
            },
            proxy: { disabled: true },
            // CoreDNS is installed with Helm (so Flux can own it later).
            coreDNS: { disabled: true },
        },
    };
}

/** Settings for control-plane nodes: API SANs, etcd subnet, workloads allowed on control planes. */
export function controlPlanePatch(apiHost: string, nodeCidr: string): object {
    const sans = [apiHost, "127.0.0.1"];
    return {
        machine: { certSANs: sans },
        cluster: {
            allowSchedulingOnControlPlanes: true,
            apiServer: { certSANs: sans },
            etcd: { advertisedSubnets: [nodeCidr] },
        },
    };
}

/** The node's identity and network: bond0 over its links (selected by permanent MAC), VLANs. */
export function nodePatch(network: Pick<Network, "bond" | "nodeCidr" | "gateway" | "vlans">, node: NodeSpec): object {
    const { bond, nodeCidr, gateway, vlans } = network;
    const prefix = nodeCidr.split("/")[1];
    return {
        machine: {
            network: {
                hostname: node.hostname,
                interfaces: [
                    {
                        interface: "bond0",
                        bond: {
                            // The permanent address: a link's current MAC changes once it is enslaved.
                            deviceSelectors: node.links.map((l) => ({ permanentAddr: l.mac.toLowerCase() })),
                            mode: bond.mode,
                            // Talos refuses an LACP rate in any mode but 802.3ad.
                            ...(bond.mode === "802.3ad" && bond.lacpRate !== undefined ? { lacpRate: bond.lacpRate } : {}),
                            xmitHashPolicy: bond.xmitHashPolicy,
                            miimon: bond.miimon,
                        },
                        dhcp: false,
                        mtu: bond.mtu,
                        addresses: [`${node.ip}/${prefix}`],
                        routes: [{ network: "0.0.0.0/0", gateway }],
                        ...(vlans.length > 0 ? { vlans: vlans.map((v) => ({ vlanId: v.id, mtu: v.mtu, dhcp: false })) } : {}),
                    },
                ],
            },
        },
    };
}

/** One EthernetConfig document per bond member (ethtool ring sizes); none without `network.rings`. */
export function ethernetPatches(rings: Network["rings"], node: NodeSpec): object[] {
    if (rings === undefined) return [];
    return node.links.map((l) => ({ apiVersion: "v1alpha1", kind: "EthernetConfig", name: l.name, rings: { rx: rings.rx, tx: rings.tx } }));
}

/**
 * The install target and image. Always set: the provider's generated config would otherwise
 * install the provider's own Talos version from the vanilla installer.
 */
export function installPatch(node: NodeSpec, installerImage: string): object {
    const target = node.installDisk !== undefined ? { disk: node.installDisk } : { diskSelector: node.installDiskSelector };
    return { machine: { install: { ...target, image: installerImage } } };
}

/** The Image Factory installer image for a schematic and Talos version. */
export function installerImage(schematicId: string, talosVersion: string): string {
    return `factory.talos.dev/installer/${schematicId}:${talosVersion}`;
}

/** User patch files for a cluster, read from `talos/<cluster>/` (see talos/README.md). */
export interface UserPatches {
    all: string[];
    controlplane: string[];
    worker: string[];
    /** By hostname. */
    nodes: Record<string, string[]>;
}

/** The user's patches for a node, in order: all nodes, the node's role, the node itself. */
export function userPatchesFor(user: UserPatches, node: NodeSpec): string[] {
    return [...user.all, ...user[node.role], ...(user.nodes[node.hostname] ?? [])];
}

/** Every patch a node receives, in apply order (what ConfigurationApply.configPatches gets). */
export function nodePatches(inputs: PatchInputs, node: NodeSpec, image: string, user: UserPatches): string[] {
    const { network } = inputs;
    const role = node.role === "controlplane" ? [controlPlanePatch(inputs.apiHost, network.nodeCidr)] : [];
    const ours = [clusterPatch(network, inputs.spegel), ...role, nodePatch(network, node), ...ethernetPatches(network.rings, node), installPatch(node, image)];
    return [...ours.map(toYaml), ...userPatchesFor(user, node)];
}

/** The Image Factory schematic (extensions and kernel args) as YAML. */
export function schematicYaml(schematic: Schematic): string {
    return toYaml({
        customization: {
            ...(schematic.kernelArgs.length > 0 ? { extraKernelArgs: schematic.kernelArgs } : {}),
            systemExtensions: { officialExtensions: schematic.extensions },
        },
    });
}
