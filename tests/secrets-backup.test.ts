import * as op from "@1password/pulumi-onepassword";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SecretsBackup } from "../components/secrets-backup";
import { loadSecretsBackup, prepareSecretsImport, writeSecretsFile, type SecretsImport } from "../components/secrets-import";
import { BACKUP_FORMAT, backupNote, readSecretsBackup } from "../planners/secrets-backup";
import { copyMachineSecrets, fromSecretsYaml, toSecretsYaml } from "../planners/secrets-bundle";
import * as talos from "../talos/provider";
import type { MachineSecrets } from "../talos/provider/types";
import { evaluate, type Evaluation } from "../tools/engine/engine";
import { digest, onePasswordItem, talosSecrets } from "../tools/engine/fakes";
import * as providers from "../tools/engine/providers";
import { isSecretAt, type RecordedResource, UNKNOWN } from "../tools/engine/recording";
import { PROJECT } from "./harness";

/**
 * The machine secrets backed up to 1Password (a Secure Note holding Talos' secrets.yaml) and a
 * stack re-created from that item: on the graph the offline engine records, and on the files the
 * import helper writes.
 */

const ITEM = "onepassword:index/item:Item";
const SECRETS = "talos:machine/secrets:Secrets";
const REF = { vault: "kubernetes", item: "talos-infra-secrets" };
const config = { values: {}, secretKeys: [] };
const vaultUuid = (name: string) => digest("vault", name).slice(0, 26);

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-backup-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

const provider = () => new op.Provider("op", { url: "http://connect.example", token: pulumi.secret("FAKE-token") });

/** A cluster's Secrets and their backup, as the stack wires them. */
function backupProgram(vault = REF.vault) {
    return () => {
        const secrets = new talos.machine.Secrets("infra-secrets", { talosVersion: "v1.11" }, { protect: true, ignoreChanges: ["talosVersion"] });
        const backup = new SecretsBackup("infra-secrets-backup", {
            machineSecrets: secrets.machineSecrets.apply(copyMachineSecrets),
            item: { ...REF, vault },
            clusterName: "infra",
            talosVersion: "v1.11",
            provider: provider(),
        });
        return { machineSecrets: secrets.machineSecrets, reference: backup.reference };
    };
}

describe("the backup on the recorded graph", () => {
    let up: Evaluation;
    let item: RecordedResource;
    beforeAll(async () => {
        up = await evaluate(backupProgram(), { project: PROJECT, stack: "backup", config });
        item = up.recording.ofType(ITEM)[0];
    });

    test("is one Secure Note in the named vault (resolved to its UUID), written with the passed provider", () => {
        expect(up.recording.ofType(ITEM)).toHaveLength(1);
        expect(item.inputs).toMatchObject({ vault: vaultUuid("kubernetes"), title: "talos-infra-secrets", category: "secure_note" });
        const opProvider = up.recording.find("op", "pulumi:providers:onepassword");
        expect(item.provider).toBe(opProvider.urn);
        const vaultLookups = up.recording.invokesOf("onepassword:index/getVault:getVault");
        expect(vaultLookups.map((i) => [i.inputs.name, i.provider])).toEqual([["kubernetes", opProvider.urn]]);
        expect(item.parent).toBe(up.recording.find("infra-secrets-backup", "platform:index:SecretsBackup").urn);
    });

    test("holds the Secrets' bundle in secrets.yaml format, as a secret leaf", () => {
        expect(isSecretAt(item.rawInputs, "noteValue")).toBe(true);
        const note = item.inputs.noteValue as string;
        // Stored without its final newline; `op read` prints one, giving talosctl's file exactly.
        const fake = copyMachineSecrets(up.outputs.machineSecrets.value as MachineSecrets);
        expect(`${note}\n`).toBe(toSecretsYaml(fake));
        expect(fromSecretsYaml(`${note}\n`)).toStrictEqual(copyMachineSecrets(talosSecrets("infra-secrets").machineSecrets as MachineSecrets));
        // Nothing outside a secret envelope carries key material.
        const plain = JSON.stringify(item.rawInputs, (_k, v) => (isSecretAt({ v }, "v") ? "[secret]" : v));
        expect(plain).not.toMatch(/LS0tLS1CRUdJTi|PRIVATE KEY|FAKE-[0-9a-f]{32}/);
    });

    test("names the cluster and the Talos version contract in plain fields for humans", () => {
        expect(item.inputs.sections).toEqual([
            {
                label: "talos",
                fields: [
                    { label: "cluster", type: "STRING", value: "infra" },
                    { label: "talosVersion", type: "STRING", value: "v1.11" },
                    { label: "format", type: "STRING", value: BACKUP_FORMAT },
                ],
            },
        ]);
        expect(isSecretAt(item.rawInputs, "sections")).toBe(false);
        expect(up.outputs.reference.value).toBe("op://kubernetes/talos-infra-secrets/notesPlain");
    });

    test("is written after the Secrets exist, from their data, and outlives any destroy", () => {
        const secrets = up.recording.find("infra-secrets", SECRETS);
        expect(item.propertyDependencies.noteValue).toContain(secrets.urn);
        expect(up.recording.isOrderedAfter(item, secrets)).toBe(true);
        expect({ protect: item.protect, retainOnDelete: item.retainOnDelete, importId: item.importId }).toEqual({ protect: true, retainOnDelete: true, importId: undefined });
    });

    test("previews before the Secrets exist: the note is unknown then (the SDK sends no secret flag with an unknown)", async () => {
        const preview = await evaluate(backupProgram(), { project: PROJECT, stack: "backup", config, preview: true });
        const note = preview.recording.ofType(ITEM)[0].rawInputs.noteValue;
        expect(note).toBe(UNKNOWN);
    });

    test("a vault given by UUID is used as is", async () => {
        const uuid = "abcdefghijklmnopqrstuvwxyz";
        const ev = await evaluate(backupProgram(uuid), { project: PROJECT, stack: "backup", config });
        expect(ev.recording.ofType(ITEM)[0].inputs.vault).toBe(uuid);
        expect(ev.recording.invokesOf("onepassword:index/getVault:getVault")).toHaveLength(0);
    });
});

describe("re-creating a lost stack from the backup", () => {
    const restored = fromSecretsYaml(fs.readFileSync(path.join(__dirname, "fixtures", "secrets", "talosctl-gen-secrets.yaml"), "utf8"));
    const itemUuid = "itemuuiditemuuiditemuuidab";

    /** What the provider's getItem returns for the backup item the program wrote earlier. */
    function serveBackup(cluster = "infra"): jest.SpyInstance {
        const real = providers.invokeResult;
        return jest.spyOn(providers, "invokeResult").mockImplementation((token, inputs) =>
            token === "onepassword:index/getItem:getItem"
                ? {
                      id: `vaults/${inputs.vault}/items/${itemUuid}`,
                      uuid: itemUuid,
                      vault: inputs.vault,
                      title: inputs.title,
                      category: "secure_note",
                      noteValue: backupNote(restored),
                      sections: [{ id: "s", label: "talos", fields: [{ id: "f", label: "cluster", type: "STRING", value: cluster }] }],
                  }
                : real(token, inputs),
        );
    }

    test("the Secrets are imported from a private secrets.yaml holding the backup, and the backup item is adopted", async () => {
        serveBackup();
        let restore: SecretsImport | undefined;
        const ev = await evaluate(
            async () => {
                const p = provider();
                restore = await prepareSecretsImport(REF, { provider: p, expectCluster: "infra", dir: tmp });
                const secrets = new talos.machine.Secrets("infra-secrets", { talosVersion: "v1.11" }, { import: restore.path, protect: true, ignoreChanges: ["talosVersion"] });
                new SecretsBackup("infra-secrets-backup", {
                    machineSecrets: secrets.machineSecrets.apply(copyMachineSecrets),
                    item: REF,
                    clusterName: "infra",
                    talosVersion: "v1.11",
                    provider: p,
                    ...(restore.itemId ? { adoptItemId: restore.itemId } : {}),
                });
            },
            { project: PROJECT, stack: "backup", config },
        );
        const file = restore!.path;
        expect(path.isAbsolute(file)).toBe(true);
        expect(ev.recording.find("infra-secrets", SECRETS).importId).toBe(file);
        expect(fs.readFileSync(file, "utf8")).toBe(toSecretsYaml(restored));
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

        const item = ev.recording.ofType(ITEM)[0];
        expect(item.importId).toBe(`vaults/${vaultUuid("kubernetes")}/items/${itemUuid}`);
        expect(item.ignoreChanges).toEqual(["noteValue", "sections"]);
        const opProvider = ev.recording.find("op", "pulumi:providers:onepassword");
        const reads = ev.recording.invokes.filter((i) => i.token.startsWith("onepassword:"));
        expect(reads.map((i) => [i.token, i.inputs, i.provider])).toEqual([
            ["onepassword:index/getVault:getVault", { name: "kubernetes" }, opProvider.urn],
            ["onepassword:index/getItem:getItem", { vault: vaultUuid("kubernetes"), title: "talos-infra-secrets" }, opProvider.urn],
            ["onepassword:index/getVault:getVault", { name: "kubernetes" }, opProvider.urn],
        ]);
    });

    test("another cluster's backup is refused before anything is registered", async () => {
        serveBackup("apps");
        const run = evaluate(async () => prepareSecretsImport(REF, { provider: provider(), expectCluster: "infra", dir: tmp }), { project: PROJECT, stack: "backup", config });
        await expect(run).rejects.toThrow('1Password item "talos-infra-secrets" in vault "kubernetes" backs up cluster "apps", not "infra"');
    });

    test("an item that is not a backup (no notes) fails naming the item", async () => {
        // The engine's default getItem answers with a login item.
        const run = evaluate(async () => loadSecretsBackup(REF, { provider: provider() }), { project: PROJECT, stack: "backup", config });
        await expect(run).rejects.toThrow('1Password item "talos-infra-secrets" in vault "kubernetes" has no notes to restore the machine secrets from');
    });
});

describe("readSecretsBackup", () => {
    const s = copyMachineSecrets(talosSecrets("x").machineSecrets as MachineSecrets);

    test("reads the note with or without its final newline, and the item's import id", () => {
        for (const noteValue of [backupNote(s), toSecretsYaml(s)]) {
            expect(readSecretsBackup({ noteValue, uuid: "i", vault: "v" }, REF)).toStrictEqual({ machineSecrets: s, itemId: "vaults/v/items/i" });
        }
    });

    test("a broken note fails naming the item and every bad key", () => {
        const noteValue = backupNote(s).replace(/^ {4}token: .*$/m, "").replace(/^( {8}crt: )\S+/m, "$1bm90IHBlbQ==");
        expect(() => readSecretsBackup({ noteValue }, REF)).toThrow(
            /^1Password item "talos-infra-secrets" in vault "kubernetes": secrets.yaml is not a complete Talos secrets bundle[^]*- trustdinfo: empty[^]*- certs.etcd.crt: must be base64 of a PEM certificate, found no PEM block/,
        );
    });

    test("the engine's stock login item is not a backup", () => {
        expect(() => readSecretsBackup(onePasswordItem("v", "t"), REF)).toThrow(/has no notes .* \(category login found\)/);
    });
});

describe("writeSecretsFile", () => {
    test("writes the bundle to a fresh private directory, mode 0600, and never over an existing file", () => {
        const s = copyMachineSecrets(talosSecrets("w").machineSecrets as MachineSecrets);
        const a = writeSecretsFile(s, { dir: tmp, keep: true });
        const b = writeSecretsFile(s, { dir: tmp, keep: true });
        expect(a).not.toBe(b);
        expect(path.isAbsolute(a) && path.basename(a) === "secrets.yaml").toBe(true);
        expect(fs.statSync(a).mode & 0o777).toBe(0o600);
        expect(fromSecretsYaml(fs.readFileSync(a, "utf8"))).toStrictEqual(s);
    });
});
