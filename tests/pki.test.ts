import * as fs from "fs";
import * as path from "path";
import { fromSecretsYaml, toSecretsYaml } from "../planners/secrets-bundle";
import { backupNote } from "../planners/secrets-backup";
import * as providers from "../tools/engine/providers";
import { isSecretAt } from "../tools/engine/recording";
import { runStack, stackConfig, withKeys } from "./harness";

/**
 * The cluster's PKI in the real program, both stacks' recorded graphs: the machine secrets are
 * backed up to the 1Password item the stack file names, and a stack whose state is lost is
 * re-created from that item (import) without generating new secrets.
 */

const ITEM = "onepassword:index/item:Item";
const SECRETS = "talos:machine/secrets:Secrets";

test.each(["infra", "apps"])("stack %s backs its machine secrets up to 1Password, as talosctl's secrets.yaml, secret", async (stack) => {
    const ev = await runStack(stack);
    const [item] = ev.recording.ofType(ITEM);
    expect(item.inputs).toMatchObject({ title: `talos-${stack}-secrets`, category: "secure_note" });
    expect(isSecretAt(item.rawInputs, "noteValue")).toBe(true);
    // The note is the bundle of this stack's machine secrets (the offline engine's fakes), byte for byte.
    const recorded = ev.recording.find(`${stack}-secrets`, SECRETS);
    expect(ev.recording.isOrderedAfter(item, recorded)).toBe(true);
    const bundle = fromSecretsYaml(`${item.inputs.noteValue as string}\n`);
    expect(`${item.inputs.noteValue as string}\n`).toBe(toSecretsYaml(bundle));
    expect(bundle.cluster.id).toMatch(/^FAKE-/);
    // Kept through destroys and drills: the backup must outlive the stack.
    expect([item.protect, item.retainOnDelete]).toEqual([true, true]);
    // Written with the same Connect provider that reads the bootstrap secrets.
    const provider = ev.recording.find(`${stack}-onepassword-connect`, "pulumi:providers:onepassword");
    expect(item.provider).toBe(provider.urn);
    expect(ev.recording.invokes.filter((i) => i.token === "onepassword:index/getItem:getItem").every((i) => i.provider === provider.urn)).toBe(true);
    expect(ev.outputs.secretsBackup).toEqual({ value: `op://kubernetes/talos-${stack}-secrets/notesPlain`, secret: false });
});

test("the certificates' expiry and the last etcd snapshot are stack outputs", async () => {
    const ev = await runStack("infra");
    expect(ev.outputs.clientCertificates).toEqual({ value: { talosconfig: expect.any(String), kubeconfig: expect.any(String) }, secret: false });
    expect(Date.parse((ev.outputs.clientCertificates.value as { talosconfig: string }).talosconfig)).not.toBeNaN();
    expect(ev.outputs.etcdSnapshot).toEqual({ value: null, secret: false });
});

test("with platform:talos.secrets.import, the machine secrets are imported from the backup, not generated", async () => {
    const sample = fromSecretsYaml(fs.readFileSync(path.join(__dirname, "fixtures", "secrets", "talosctl-gen-secrets.yaml"), "utf8"));
    const real = providers.invokeResult;
    const spy = jest.spyOn(providers, "invokeResult").mockImplementation((token, inputs) =>
        token === "onepassword:index/getItem:getItem" && inputs.title === "talos-infra-secrets"
            ? {
                  id: `vaults/${String(inputs.vault)}/items/itemuuiditemuuiditemuuidab`,
                  uuid: "itemuuiditemuuiditemuuidab",
                  vault: inputs.vault,
                  title: inputs.title,
                  category: "secure_note",
                  noteValue: backupNote(sample),
                  sections: [{ id: "s", label: "talos", fields: [{ id: "f", label: "cluster", type: "STRING", value: "infra" }] }],
              }
            : real(token, inputs),
    );
    try {
        const base = stackConfig("infra");
        const talos = JSON.parse(base.values["platform:talos"]);
        const ev = await runStack("infra", { config: withKeys(base, { "platform:talos": { ...talos, secrets: { ...talos.secrets, import: true } } }) });
        const secrets = ev.recording.find("infra-secrets", SECRETS);
        expect(path.isAbsolute(secrets.importId!)).toBe(true);
        expect(secrets.importId).toMatch(/secrets\.yaml$/);
        // The backup item is adopted, not created a second time with the same title.
        expect(ev.recording.ofType(ITEM)[0].importId).toBe(`vaults/${String(ev.recording.ofType(ITEM)[0].inputs.vault)}/items/itemuuiditemuuiditemuuidab`);
    } finally {
        spy.mockRestore();
    }
    // Without the flag nothing is imported.
    expect((await runStack("infra")).recording.find("infra-secrets", SECRETS).importId).toBeUndefined();
});
