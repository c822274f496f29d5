import * as op from "@1password/pulumi-onepassword";
import type * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isVaultUuid } from "../planners/onepassword";
import { readSecretsBackup, type SecretsBackupContents, type SecretsItemRef } from "../planners/secrets-backup";
import { toSecretsYaml } from "../planners/secrets-bundle";
import type { MachineSecrets } from "../talos/provider/types";

/**
 * Re-creating a lost stack from the 1Password backup (components/secrets-backup.ts) without
 * regenerating anything: the program reads the backup, writes it to a private temp file, and passes
 * that file's path as the `import` resource option of `talos.machine.Secrets`. The provider's
 * import takes a *path* to a secrets.yaml, opened by the provider process (the Terraform provider's
 * `ImportState` in talos_machine_secrets_resource.go, unchanged from v0.6.0 to v0.11), so it must be absolute and exist until the engine has run the import step (the end of the
 * program). Runbook: talos/secrets-backup.md.
 *
 * What the provider does on import: it stores talosVersion "v1.3" (the program's
 * `ignoreChanges: ["talosVersion"]` keeps it, so the import does not mismatch and the next `up` does
 * not lower anything; the contract only seeds generation and changes no secret) and mints a fresh
 * admin client certificate from the OS CA (the talosconfig from before stays valid until its own
 * certificate expires, one year after it was issued).
 */

export interface LoadOptions {
    /** The 1Password provider (Connect) to read with. */
    provider: op.Provider;
    parent?: pulumi.Resource;
    /** Refuse a backup that names another cluster. */
    expectCluster?: string;
}

/**
 * Reads the backup item and parses its secrets.yaml (strictly: every bad key is reported). The
 * values come back from the provider unmarked: keep them out of outputs, or wrap them in
 * `pulumi.secret`.
 */
export async function loadSecretsBackup(ref: SecretsItemRef, options: LoadOptions): Promise<SecretsBackupContents> {
    const invokeOpts = { provider: options.provider, ...(options.parent ? { parent: options.parent } : {}) };
    const vault = isVaultUuid(ref.vault) ? ref.vault : (await op.getVault({ name: ref.vault }, invokeOpts)).uuid;
    const item = await op.getItem({ vault, title: ref.item }, invokeOpts);
    return readSecretsBackup({ ...item, vault: item.vault || vault }, ref, options.expectCluster);
}

export interface SecretsFileOptions {
    /** Parent directory of the private directory created for the file (default: the OS temp dir). */
    dir?: string;
    /** Leave the file when the process exits (default: removed at exit). */
    keep?: boolean;
}

/**
 * Writes the bundle as secrets.yaml into a fresh private directory (mode 0700, file mode 0600, as
 * `talosctl gen secrets` writes it) and returns the file's absolute path. Removed when the process
 * exits, i.e. after the engine has run every step of the program (the provider reads it then).
 */
export function writeSecretsFile(machineSecrets: MachineSecrets, options: SecretsFileOptions = {}): string {
    const dir = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), "talos-secrets-"));
    const file = path.resolve(dir, "secrets.yaml");
    // Created exclusively with the final mode; fchmod because the umask may only ever narrow it.
    const fd = fs.openSync(file, "wx", 0o600);
    try {
        fs.fchmodSync(fd, 0o600);
        fs.writeFileSync(fd, toSecretsYaml(machineSecrets));
    } finally {
        fs.closeSync(fd);
    }
    if (!options.keep) process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return file;
}

/** What the re-creating run needs: the file for the Secrets' `import`, and the item to adopt. */
export interface SecretsImport {
    /** Absolute path of the private secrets.yaml: `import` option of `talos.machine.Secrets`. */
    path: string;
    /** Import id of the backup item: `adoptItemId` of the SecretsBackup component. */
    itemId?: string;
    /** The restored secrets; plain values, wrap in `pulumi.secret` before any use in resources. */
    machineSecrets: MachineSecrets;
}

/**
 * Everything the run that re-creates a lost stack needs (with `platform:talos.secrets.import`):
 *
 *     const restore = await prepareSecretsImport(backupRef, { provider, expectCluster: name });
 *     new talos.machine.Secrets(`${name}-secrets`, { talosVersion }, { import: restore.path, ignoreChanges: ["talosVersion"], protect: true, ... });
 *     new SecretsBackup(`${name}-secrets-backup`, { ..., adoptItemId: restore.itemId });
 */
export async function prepareSecretsImport(ref: SecretsItemRef, options: LoadOptions & SecretsFileOptions): Promise<SecretsImport> {
    const backup = await loadSecretsBackup(ref, options);
    return { path: writeSecretsFile(backup.machineSecrets, options), ...(backup.itemId ? { itemId: backup.itemId } : {}), machineSecrets: backup.machineSecrets };
}
