import { isVaultUuid, itemField } from "../planners/onepassword";
import { parseStackConfig } from "../stacks/config/parse";
import { PROJECT, runStack, stackConfig, withKeys } from "./harness";
import { isSecretAt } from "../tools/engine/recording";

/** Reading bootstrap secrets from 1Password. */

const item = {
    title: "github-flux",
    username: "flux-bot",
    credential: "ghp_x",
    sections: [{ label: "extra", fields: [{ label: "deploy key", value: "ssh-ed25519 AAAA" }, { label: "empty", value: "" }] }],
};
const ref = (field: string) => ({ vault: "kubernetes", item: "github-flux", field });

test("built-in and custom fields are found by name", () => {
    expect(itemField(item, ref("username"))).toBe("flux-bot");
    expect(itemField(item, ref("credential"))).toBe("ghp_x");
    expect(itemField(item, ref("deploy key"))).toBe("ssh-ed25519 AAAA");
});

test("a missing or empty field names the item and the fields it has, never their values", () => {
    expect(() => itemField(item, ref("password"))).toThrow('1Password item "github-flux" in vault "kubernetes" has no non-empty field "password"; its fields are: username, credential, deploy key');
    expect(() => itemField(item, ref("empty"))).toThrow('has no non-empty field "empty"');
});

test("vaults are looked up by name unless given as a UUID", () => {
    expect(isVaultUuid("kubernetes")).toBe(false);
    expect(isVaultUuid("abcdefghijklmnopqrstuvwxyz")).toBe(true);
});

test("the Connect token may come from OP_CONNECT_TOKEN, and still reaches the provider as a secret", async () => {
    const config = withKeys(stackConfig("infra"), { "onepassword:token": undefined });
    expect(() => parseStackConfig(config, { stack: "infra", project: PROJECT, organization: "organization" })).toThrow(
        "onepassword:token: is required: run `pulumi config set --secret onepassword:token <Connect token>` or export OP_CONNECT_TOKEN",
    );
    const ev = await runStack("infra", { config, env: { OP_CONNECT_TOKEN: "from-env" } });
    const provider = ev.recording.find("infra-onepassword-connect", "pulumi:providers:onepassword");
    expect(provider.inputs.token).toBe("from-env");
    expect(isSecretAt(provider.rawInputs, "token")).toBe(true);
});
