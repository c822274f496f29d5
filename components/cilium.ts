import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "../model";
import { ciliumValues, type CiliumInputs, type MeshCa, type MeshPeer, SPIRE_NAMESPACE } from "../planners/cilium-values";
import { NodesReady } from "./gates";
import { helmRelease, namespace } from "./release";

export interface CiliumArgs {
    /** What the chart values are built from. */
    settings: CiliumInputs;
    chart: ChartSource;
    peers: MeshPeer[];
    /** The shared mesh CA (base64 PEM); the key must be a secret Output. Unset: Cilium makes its own. */
    ca?: MeshCa<pulumi.Input<string>>;
    /** Admin kubeconfig (secret), for the nodes-Ready gate. */
    kubeconfig: pulumi.Input<string>;
    /** Hostnames of every node, which must all become Ready. */
    nodes: string[];
    /** How long the nodes-Ready gate waits (Go duration). */
    nodesReadyTimeout: string;
    /** CRDs that must exist before Cilium starts (Gateway API; ServiceMonitor for its monitors). */
    requires: pulumi.Resource[];
    deletedWith: pulumi.Resource;
}

/**
 * Cilium (CNI, kube-proxy replacement, ClusterMesh API server) and the gate that makes it count:
 * every node Ready. Helm's own wait is off for this release on purpose: the clustermesh-apiserver
 * is a LoadBalancer Service whose address LB-IPAM assigns only once Flux has applied the pools, and
 * Helm waits for LoadBalancer addresses; Helm's DaemonSet check would also accept agents still
 * down (maxUnavailable). The nodes gate waits for what matters instead: every node Ready, which a
 * node only becomes once its Cilium agent has set up networking.
 */
export class Cilium extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;
    /** Completes once every node is Ready; everything after the CNI depends on it. */
    public readonly nodesReady: NodesReady;

    constructor(name: string, args: CiliumArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:Cilium", name, {}, opts);
        const child = { parent: this, deletedWith: args.deletedWith };

        // SPIRE's agent needs host access that Talos' default (baseline) admission policy refuses.
        const spireNamespace = args.settings.cilium.mutualAuth.enabled
            ? [namespace(`${name}-spire-namespace`, SPIRE_NAMESPACE, { "pod-security.kubernetes.io/enforce": "privileged" }, child)]
            : [];

        this.release = helmRelease(
            `${name}-release`,
            { name: "cilium", namespace: "kube-system", source: args.chart, values: ciliumValues(args.settings, args.peers, args.ca), skipAwait: true },
            { ...child, dependsOn: [...args.requires, ...spireNamespace] },
        );

        this.nodesReady = new NodesReady(
            `${name}-nodes-ready`,
            { kubeconfig: args.kubeconfig, nodes: args.nodes, timeout: args.nodesReadyTimeout },
            // The gate reads nodes, not Cilium objects: only the ordering ties it to the release.
            { parent: this, dependsOn: [this.release] },
        );

        this.registerOutputs({ release: this.release, nodesReady: this.nodesReady });
    }
}
