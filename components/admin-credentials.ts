import * as pulumi from "@pulumi/pulumi";
import { durationMs } from "../readiness/duration";
import { kubeconfigText, talosconfigText } from "../planners/certificates";
import type { ClientConfiguration, MachineSecrets } from "../talos/provider/types";
import { ClientCertificate, warnWhenRenewing } from "./client-certificate";

export interface AdminCredentialsArgs {
    clusterName: string;
    /** https://<apiHost>:<apiPort>. */
    endpoint: string;
    /** Talos API endpoints of the talosconfig: the control-plane IPs, never a VIP. */
    endpoints: string[];
    nodes: string[];
    /** The cluster's machine secrets (secret): the OS CA and the Kubernetes CA issue the certificates. */
    machineSecrets: pulumi.Output<MachineSecrets>;
    /** Go duration: any `pulumi up` this close to a certificate's expiry renews it. */
    renewal: string;
}

/** Talos' and Kubernetes' admin client certificates live a year, as Talos issues them. */
const VALIDITY_HOURS = 24 * 365;

/**
 * The admin credentials of one cluster, issued by the program from the cluster's CAs rather than
 * fetched: the talosconfig (OS CA, role os:admin), the admin kubeconfig (Kubernetes CA,
 * system:masters) and the client configuration the Talos provider's resources take. Each
 * certificate is renewed by any `pulumi up` within the renewal window (a preview inside the window
 * warns), so an `up` a month before expiry is enough, whatever the providers do on their own.
 */
export class AdminCredentials extends pulumi.ComponentResource {
    /** talosconfig, endpoints = the control-plane IPs (secret). */
    public readonly talosconfig: pulumi.Output<string>;
    /** Admin kubeconfig for the API endpoint (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The Talos admin credentials in the provider's shape (secret). */
    public readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
    /** When each certificate expires (ISO 8601): the stack output `clientCertificates`. */
    public readonly expiry: pulumi.Output<{ talosconfig: string; kubeconfig: string }>;

    constructor(name: string, args: AdminCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:AdminCredentials", name, {}, opts);
        const renewBeforeHours = durationMs(args.renewal) / 3_600_000;
        const ca = (pick: (s: MachineSecrets) => { cert: string; key: string }) => ({
            // A CA certificate is public; its key stays secret.
            caCertificate: pulumi.unsecret(args.machineSecrets.apply((s) => pick(s).cert)),
            caKey: args.machineSecrets.apply((s) => pick(s).key),
        });
        const talos = new ClientCertificate(
            `${name}-talos`,
            { ...ca((s) => s.certs.os), subject: { organizations: ["os:admin"] }, validityHours: VALIDITY_HOURS, renewBeforeHours },
            { parent: this },
        );
        const kube = new ClientCertificate(
            `${name}-kubernetes`,
            { ...ca((s) => s.certs.k8s), subject: { commonName: "admin", organizations: ["system:masters"] }, validityHours: VALIDITY_HOURS, renewBeforeHours },
            { parent: this },
        );
        warnWhenRenewing(talos, `${args.clusterName} talosconfig`);
        warnWhenRenewing(kube, `${args.clusterName} kubeconfig`);

        this.clientConfiguration = pulumi.secret(
            pulumi.all([talos.caCertificate, talos.certificate, talos.privateKey]).apply(([caCertificate, clientCertificate, clientKey]) => ({ caCertificate, clientCertificate, clientKey })),
        );
        this.talosconfig = pulumi.secret(
            pulumi
                .all([talos.caCertificate, talos.certificate, talos.privateKey])
                .apply(([caCertificate, certificate, key]) => talosconfigText({ cluster: args.clusterName, endpoints: args.endpoints, nodes: args.nodes, caCertificate, certificate, key })),
        );
        this.kubeconfig = pulumi.secret(
            pulumi
                .all([kube.caCertificate, kube.certificate, kube.privateKey])
                .apply(([caCertificate, certificate, key]) => kubeconfigText({ cluster: args.clusterName, server: args.endpoint, caCertificate, certificate, key })),
        );
        this.expiry = pulumi.all([talos.notAfter, kube.notAfter]).apply(([talosconfig, kubeconfig]) => ({ talosconfig, kubeconfig }));
        this.registerOutputs({ talosconfig: this.talosconfig, kubeconfig: this.kubeconfig, clientConfiguration: this.clientConfiguration, expiry: this.expiry });
    }
}
