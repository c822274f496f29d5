import { evaluate, type Evaluation } from "../tools/engine/engine";
import { isSecretAt } from "../tools/engine/recording";
import * as talos from "../talos/provider";
import { PROJECT, runStack } from "./harness";

/**
 * The hand-written Talos binding against the provider schema of pulumiverse/pulumi-talos v0.6.1:
 * type tokens, plugin version and download URL on every call, secret inputs and outputs, and
 * outputs that actually attach to the resource objects.
 */

const SCHEMA_TOKENS = {
    resources: [
        "talos:machine/secrets:Secrets",
        "talos:machine/configurationApply:ConfigurationApply",
        "talos:machine/bootstrap:Bootstrap",
        "talos:imageFactory/schematic:Schematic",
    ],
    // The program issues the talosconfig and kubeconfig itself (components/admin-credentials.ts).
    invokes: ["talos:machine/getConfiguration:getConfiguration"],
};

let infra: Evaluation;
beforeAll(async () => {
    infra = await runStack("infra");
});

test("every Talos resource and invoke carries the pinned version and the pluginDownloadURL", () => {
    const ev = infra;
    const resources = ev.recording.resources.filter((r) => r.type.startsWith("talos:"));
    const invokes = ev.recording.invokes.filter((i) => i.token.startsWith("talos:"));
    expect(new Set(resources.map((r) => r.type))).toEqual(new Set(SCHEMA_TOKENS.resources));
    expect(new Set(invokes.map((i) => i.token))).toEqual(new Set(SCHEMA_TOKENS.invokes));
    for (const call of [...resources, ...invokes]) {
        expect({ version: call.version, pluginDownloadURL: call.pluginDownloadURL }).toEqual({
            version: "0.6.1",
            pluginDownloadURL: "github://api.github.com/pulumiverse",
        });
    }
});

test("secret inputs and outputs are marked the way the provider schema marks them", () => {
    const ev = infra;
    const aso = (type: string) => ev.recording.ofType(type)[0].additionalSecretOutputs;
    expect(aso("talos:machine/secrets:Secrets")).toEqual(["machineSecrets", "clientConfiguration"]);
    expect(aso("talos:machine/configurationApply:ConfigurationApply")).toEqual(["machineConfiguration", "machineConfigurationInput"]);
    for (const apply of ev.recording.ofType("talos:machine/configurationApply:ConfigurationApply")) {
        expect(isSecretAt(apply.rawInputs, "machineConfigurationInput")).toBe(true);
        expect(isSecretAt(apply.rawInputs, "clientConfiguration")).toBe(true);
    }
});

test("outputs attach to the resource objects, and secret ones come back secret", async () => {
    const ev = await evaluate(
        () => {
            const secrets = new talos.machine.Secrets("s", { talosVersion: "v1.11" });
            const kubeconfig = new talos.cluster.Kubeconfig("k", { clientConfiguration: secrets.clientConfiguration, node: "10.0.0.1" });
            const apply = new talos.machine.ConfigurationApply("a", {
                clientConfiguration: secrets.clientConfiguration,
                machineConfigurationInput: "version: v1alpha1",
                node: "10.0.0.1",
            });
            const schematic = new talos.imagefactory.Schematic("f", { schematic: "customization: {}\n" });
            const config = talos.machine.getConfigurationOutput({
                clusterName: "c",
                clusterEndpoint: "https://c.example.com:6443",
                machineType: "controlplane",
                machineSecrets: secrets.machineSecrets,
            });
            const client = talos.client.getConfigurationOutput({ clusterName: "c", clientConfiguration: secrets.clientConfiguration, endpoints: ["10.0.0.1"] });
            return {
                machineSecrets: secrets.machineSecrets,
                talosVersion: secrets.talosVersion,
                kubeconfigRaw: kubeconfig.kubeconfigRaw,
                machineConfiguration: apply.machineConfiguration,
                schematicId: schematic.id,
                generated: config.machineConfiguration,
                talosConfig: client.talosConfig,
            };
        },
        { project: PROJECT, stack: "binding", config: { values: {}, secretKeys: [] } },
    );
    const o = ev.outputs;
    expect(o.machineSecrets).toEqual({ value: expect.objectContaining({ trustdinfo: expect.any(Object) }), secret: true });
    expect(o.talosVersion).toEqual({ value: "v1.11", secret: false });
    expect(o.kubeconfigRaw.secret).toBe(true);
    expect(o.kubeconfigRaw.value).toContain("kind: Config");
    expect(o.machineConfiguration.secret).toBe(true);
    expect(o.schematicId.value).toMatch(/^[0-9a-f]{64}$/);
    expect(o.generated.secret).toBe(true);
    expect(o.talosConfig.secret).toBe(true);
});
