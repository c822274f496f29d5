/**
 * The 1Password item that backs up a cluster's machine secrets outside Pulumi state, and reading
 * it back. Pure: the component (components/secrets-backup.ts) and the import helper
 * (components/secrets-import.ts) do the Pulumi and file-system parts.
 *
 * Layout (a Secure Note, so the multi-line `secrets.yaml` survives: 1Password turns newlines in
 * custom fields into spaces, 1Password/terraform-provider-onepassword#163 and #136):
 *
 *   category  secure_note
 *   title     the stack file's item name
 *   notes     the secrets.yaml of `talosctl gen secrets` (field id `notesPlain`; secret in Pulumi,
 *             shown by the 1Password app when the item is opened), without its final newline,
 *             which `op read` prints back
 *   section "talos" (STRING fields, for humans):
 *     cluster        the cluster name
 *     talosVersion   the secrets' Talos version contract (e.g. v1.11)
 *     format         how to use the note
 *
 * `op read "op://<vault>/<item>/notesPlain" > secrets.yaml` gives talosctl's file byte for byte.
 */
import type { MachineSecrets } from "../talos/provider/types";
import { fromSecretsYaml, toSecretsYaml } from "./secrets-bundle";

/** Where the backup lives: a vault (name or UUID) and an item title. */
export interface SecretsItemRef {
    vault: string;
    item: string;
}

/** The item category, as the provider spells it (its docs' `secureNote` is a rendering artefact). */
export const BACKUP_CATEGORY = "secure_note";
/** Label of the section with the human-readable facts. */
export const BACKUP_SECTION = "talos";
/** What the `format` field says. */
export const BACKUP_FORMAT = "notes: Talos secrets.yaml (talosctl gen secrets); op read op://<vault>/<item>/notesPlain > secrets.yaml";

/** A plain (not concealed) custom field. */
export interface BackupField {
    label: string;
    type: "STRING";
    value: string;
}

/** The item's text: the bundle without the final newline (see the layout above). */
export function backupNote(s: MachineSecrets): string {
    return toSecretsYaml(s).replace(/\n$/, "");
}

/** The section of facts for humans; nothing in it is secret. */
export function backupFacts(args: { clusterName: string; talosVersion: string }): { label: string; fields: BackupField[] } {
    return {
        label: BACKUP_SECTION,
        fields: [
            { label: "cluster", type: "STRING", value: args.clusterName },
            { label: "talosVersion", type: "STRING", value: args.talosVersion },
            { label: "format", type: "STRING", value: BACKUP_FORMAT },
        ],
    };
}

/** The parts of a `getItem` result the import reads. */
export interface BackupItem {
    uuid?: string;
    vault?: string;
    category?: string;
    noteValue?: string;
    sections?: { label?: string; fields?: { label?: string; value?: string }[] }[];
}

/** What a backup item holds. */
export interface SecretsBackupContents {
    machineSecrets: MachineSecrets;
    /** The cluster named in the item, if any (to catch restoring one cluster's PKI into another). */
    clusterName?: string;
    /** The Pulumi import id of the item (`vaults/<vault uuid>/items/<item uuid>`). */
    itemId?: string;
}

/**
 * The machine secrets in a backup item (the `getItem` result). Fails naming the item when it has
 * no note, or the note is not a complete secrets.yaml (the parse error lists every bad key), or the
 * item belongs to another cluster than `expectCluster`.
 */
export function readSecretsBackup(item: BackupItem, ref: SecretsItemRef, expectCluster?: string): SecretsBackupContents {
    const where = `1Password item "${ref.item}" in vault "${ref.vault}"`;
    const note = item.noteValue ?? "";
    if (note.trim() === "") {
        throw new Error(
            `${where} has no notes to restore the machine secrets from: the backup is a Secure Note whose notes are the Talos secrets.yaml (category ${item.category ?? "unknown"} found)`,
        );
    }
    let machineSecrets: MachineSecrets;
    try {
        machineSecrets = fromSecretsYaml(note.endsWith("\n") ? note : `${note}\n`);
    } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
    }
    const facts = (item.sections ?? []).find((s) => s.label === BACKUP_SECTION)?.fields ?? [];
    const clusterName = facts.find((f) => f.label === "cluster")?.value || undefined;
    if (expectCluster !== undefined && clusterName !== undefined && clusterName !== expectCluster) {
        throw new Error(`${where} backs up cluster "${clusterName}", not "${expectCluster}": restoring it would give this cluster another cluster's PKI`);
    }
    const itemId = item.uuid && item.vault ? itemImportId(item.vault, item.uuid) : undefined;
    return { machineSecrets, ...(clusterName ? { clusterName } : {}), ...(itemId ? { itemId } : {}) };
}

/** The provider's resource id of an item, which `pulumi import` and the `import` option take. */
export function itemImportId(vaultUuid: string, itemUuid: string): string {
    return `vaults/${vaultUuid}/items/${itemUuid}`;
}
