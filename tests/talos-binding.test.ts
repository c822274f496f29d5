import { evaluate, type Evaluation } from "../tools/engine/engine";
import { isSecretAt } from "../tools/engine/recording";
import * as talos from "../talos/provider";
import { PROJECT, runStack } from "./harness";

/**
 * The hand-written Talos binding against the provider schema of pulumiverse/pulumi-talos v0.6.1:
 * type tokens, plugin version and download URL on every call, secret inputs, the outputs it asks
 * the engine to keep secret (`additionalSecretOutputs`), and outputs that actually attach to the
 * resource objects. Whether an output comes back secret is the engine's and the provider's doing,
 * which the offline fakes only imitate, so it is not asserted here.
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

describe("the binding on its own, every resource and invoke", () => {
    let binding: Evaluation;
    beforeAll(async () => {
        binding = await evaluate(
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
    });

    test("outputs attach to the resource objects (declared fields, output names passed as keys)", () => {
        const value = (k: string) => binding.outputs[k].value;
        expect(value("machineSecrets")).toEqual(expect.objectContaining({ trustdinfo: expect.any(Object) }));
        expect(value("talosVersion")).toBe("v1.11");
        expect(value("kubeconfigRaw")).toContain("kind: Config");
        expect(value("machineConfiguration")).toContain("version: v1alpha1");
        expect(value("schematicId")).toMatch(/^[0-9a-f]{64}$/);
        expect(value("generated")).toContain("type: controlplane");
        expect(value("talosConfig")).toContain("context: c");
    });

    test("the Kubeconfig, which the program does not register, asks for the outputs the schema marks secret to be kept secret", () => {
        // The engine marks these secret in state and in every output derived from them.
        expect(binding.recording.find("k").additionalSecretOutputs).toEqual(["kubeconfigRaw", "kubernetesClientConfiguration"]);
    });
});
