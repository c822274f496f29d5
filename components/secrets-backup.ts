import * as op from "@1password/pulumi-onepassword";
import * as pulumi from "@pulumi/pulumi";
import { isVaultUuid } from "../planners/onepassword";
import { BACKUP_CATEGORY, backupFacts, backupNote, type SecretsItemRef } from "../planners/secrets-backup";
import type { MachineSecrets } from "../talos/provider/types";

export interface SecretsBackupArgs {
    /** The cluster's machine secrets (secret), e.g. the Secrets resource's `machineSecrets`. */
    machineSecrets: pulumi.Input<MachineSecrets>;
    /** The 1Password item the stack file names (vault name or UUID, item title). */
    item: SecretsItemRef;
    /** Written into the item for humans (and checked when the stack is re-created from it). */
    clusterName: string;
    /** The Talos version contract the program gives the secrets, e.g. "v1.11" (for humans). */
    talosVersion: pulumi.Input<string>;
    /** The 1Password provider (Connect) the item is written with. */
    provider: op.Provider;
    /**
     * Set only on the run that re-creates a lost stack from this backup: the existing item's import
     * id (components/secrets-import.ts `prepareSecretsImport`). The item is then adopted into state
     * instead of a second item with the same title being created.
     */
    adoptItemId?: string;
}

/**
 * Backs up the cluster's machine secrets to 1Password, in Talos' own `secrets.yaml` format, so the
 * PKI survives a lost Pulumi state and talosctl can use it (`talosctl gen config --with-secrets`).
 * One Secure Note per cluster (layout in planners/secrets-backup.ts), created on the first `up`
 * and updated whenever the secrets change. Destroying the stack never deletes it.
 */
export class SecretsBackup extends pulumi.ComponentResource {
    /** The 1Password item holding the bundle. */
    public readonly item: op.Item;
    /** Where `op` reads the bundle back, e.g. `op://kubernetes/talos-infra-secrets/notesPlain`. */
    public readonly reference: string;

    constructor(name: string, args: SecretsBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:SecretsBackup", name, {}, opts);
        const invokeOpts = { parent: this, provider: args.provider };
        const vault = isVaultUuid(args.item.vault) ? pulumi.output(args.item.vault) : op.getVaultOutput({ name: args.item.vault }, invokeOpts).uuid;

        this.item = new op.Item(
            `${name}-item`,
            {
                vault,
                title: args.item.item,
                // A Secure Note: its notes keep newlines, custom fields do not.
                category: BACKUP_CATEGORY,
                noteValue: pulumi.secret(pulumi.output(args.machineSecrets).apply(backupNote)),
                sections: [pulumi.output(args.talosVersion).apply((talosVersion) => backupFacts({ clusterName: args.clusterName, talosVersion }))],
            },
            {
                parent: this,
                provider: args.provider,
                // The backup must outlive the state it backs up: rebuild drills (`destroy
                // --exclude-protected`) keep it, like the Secrets themselves, and even a deliberate
                // delete leaves the item in 1Password (a new `up` would otherwise add a second item
                // with the same title, which `getItem` by title then refuses).
                protect: true,
                retainOnDelete: true,
                // Adopting the existing item: its note and sections may differ in representation
                // (section ids, a trailing newline); the next `up` rewrites them from the program.
                ...(args.adoptItemId ? { import: args.adoptItemId, ignoreChanges: ["noteValue", "sections"] } : {}),
            },
        );
        this.reference = `op://${args.item.vault}/${args.item.item}/notesPlain`;

        this.registerOutputs({ item: this.item, reference: this.reference });
    }
}
