import * as YAML from "yaml";
import type { Evaluation } from "../tools/engine/engine";
import { isSecretAt } from "../tools/engine/recording";
import { fixtures } from "./fixtures";
import { runStack, stackConfig, withKeys } from "./harness";

/** The Talos bring-up as the engine would receive it, for both real stacks. */

const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const BOOTSTRAP = "talos:machine/bootstrap:Bootstrap";
const SECRETS = "talos:machine/secrets:Secrets";
const SCHEMATIC = "talos:imageFactory/schematic:Schematic";
const GET_CONFIG = "talos:machine/getConfiguration:getConfiguration";

const stacks = {
    infra: { hosts: ["infra-01", "infra-02", "infra-03"], ips: ["10.25.11.11", "10.25.11.12", "10.25.11.13"] },
    apps: { hosts: ["apps-01", "apps-02", "apps-03"], ips: ["10.25.11.14", "10.25.11.15", "10.25.11.16"] },
};

const evaluations: Record<string, Evaluation> = {};
beforeAll(async () => {
    for (const stack of Object.keys(stacks)) evaluations[stack] = await runStack(stack);
});

describe.each(Object.entries(stacks))("stack %s", (stack, { hosts, ips }) => {
    const ev = () => evaluations[stack];
    const talos = () => ev().recording.resources.filter((r) => r.type.startsWith("talos:"));

    test("generates the machine secrets once, protected, pinned to the Talos 1.11 contract", () => {
        const [secrets] = ev().recording.ofType(SECRETS);
        expect(ev().recording.ofType(SECRETS)).toHaveLength(1);
        expect(secrets.name).toBe(`${stack}-secrets`);
        expect(secrets.inputs).toEqual({ talosVersion: "v1.11" });
        expect(secrets.protect).toBe(true);
    });

    test("registers the Image Factory schematic from config", () => {
        const [schematic] = ev().recording.ofType(SCHEMATIC);
        expect(YAML.parse(schematic.inputs.schematic as string)).toEqual({
            customization: {
                extraKernelArgs: ["module_blacklist=e1000e", "init_on_alloc=0", "init_on_free=0", "mitigations=off", "security=none", "apparmor=0", "talos.auditd.disabled=1"],
                systemExtensions: { officialExtensions: ["siderolabs/intel-ucode", "siderolabs/i915", "siderolabs/iscsi-tools", "siderolabs/nfsrahead"] },
            },
        });
    });

    test("renders one whole configuration per node (its role's base plus its patches) and installs it with an install-only apply", () => {
        const calls = ev().recording.invokesOf(GET_CONFIG);
        expect(calls.map((c) => c.inputs.machineType)).toEqual(["controlplane", "controlplane", "controlplane"]);
        const rollout = ev().recording.find(`${stack}-rollout`);
        const configs = rollout.inputs.configs as Record<string, string>;
        expect(Object.keys(configs)).toEqual(hosts);
        const applies = ev().recording.ofType(APPLY);
        expect(applies.map((a) => a.name).sort()).toEqual(hosts.map((h) => `${stack}-${h}`));
        applies.forEach((apply, i) => {
            const host = apply.name.slice(stack.length + 1);
            const node = ips[hosts.indexOf(host)];
            expect(apply.inputs).toMatchObject({ node, endpoint: node, applyMode: "auto", timeouts: { create: "10m", update: "10m", delete: "10m" } });
            // Its own rendered configuration (the patches name the host), nothing patched on top.
            expect(apply.inputs.machineConfigurationInput).toBe(configs[host]);
            expect(YAML.parseAllDocuments(configs[host])[0].toJS().machine.network.hostname).toBe(host);
            expect(apply.inputs.configPatches).toBeUndefined();
            expect(isSecretAt(apply.rawInputs, "machineConfigurationInput")).toBe(true);
            // Deleting an apply never resets a machine: the rollout takes nodes out (etcd leave first).
            expect(apply.inputs.onDestroy).toEqual({ reset: false, graceful: false, reboot: false });
            // Replaced (`pulumi up --replace`, a new provider release): never two applies for one machine.
            expect(apply.deleteBeforeReplace).toBe(true);
            expect(ev().recording.isOrderedAfter(apply, rollout)).toBe(true);
            for (const other of applies.slice(i + 1)) expect(ev().recording.areIndependent(apply, other)).toBe(true);
        });
    });

    test("hands the rollout its target (versions, schematic, per-node config digests), the configs and the talosconfig as secrets", () => {
        const rollout = ev().recording.find(`${stack}-rollout`);
        const desired = rollout.inputs.desired as { cluster: string; talos: { version: string; schematic: string; image: string }; kubernetes: string; nodes: { hostname: string; ip: string; role: string; config: { sections: Record<string, string> } }[] };
        const [schematic] = ev().recording.ofType(SCHEMATIC);
        expect(desired).toMatchObject({ cluster: stack, kubernetes: "1.34.1", talos: { version: "v1.11.6" } });
        expect(desired.talos.image).toBe(`factory.talos.dev/installer/${desired.talos.schematic}:v1.11.6`);
        expect(ev().recording.isOrderedAfter(rollout, schematic)).toBe(true);
        expect(desired.nodes.map((n) => [n.hostname, n.ip, n.role])).toEqual(hosts.map((h, i) => [h, ips[i], "controlplane"]));
        expect(Object.keys(desired.nodes[0].config.sections)).toEqual(expect.arrayContaining(["machine.network", "machine.install", "machine.files", "cluster"]));
        // Digests only: the target is shown in previews and plans, so it must hold nothing secret.
        expect(JSON.stringify(desired)).not.toContain("FAKE");
        expect(isSecretAt(rollout.rawInputs, "configs")).toBe(true);
        expect(isSecretAt(rollout.rawInputs, "talosconfig")).toBe(true);
        expect(rollout.inputs.policy).toEqual({
            maxParallelWorkers: 1,
            resetOnDestroy: false,
            snapshotDir: "snapshots",
            timeouts: { health: "10m", drain: "5m", node: "30m", kubernetes: "60m", stability: "30s", command: "5m", poll: "5s" },
        });
    });

    test("bootstraps etcd exactly once, on the first control plane", () => {
        const bootstraps = ev().recording.ofType(BOOTSTRAP);
        expect(bootstraps).toHaveLength(1);
        const [bootstrap] = bootstraps;
        expect(bootstrap.inputs).toMatchObject({ node: ips[0], endpoint: ips[0], timeouts: { create: "15m" } });
    });

    test("issues the admin certificates from the cluster's CAs; the API gate waits for the bootstrap with the kubeconfig as a secret", () => {
        const secrets = ev().recording.find(`${stack}-secrets`, SECRETS);
        const talosCert = ev().recording.find(`${stack}-admin-talos`);
        const kubeCert = ev().recording.find(`${stack}-admin-kubernetes`);
        expect(talosCert.inputs).toMatchObject({ subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720 });
        expect(kubeCert.inputs).toMatchObject({ subject: { commonName: "admin", organizations: ["system:masters"] }, validityHours: 8760, renewBeforeHours: 720 });
        // Issued from the two CAs of the machine secrets, whose keys stay secret.
        expect(talosCert.inputs.caCertificate).not.toBe(kubeCert.inputs.caCertificate);
        for (const cert of [talosCert, kubeCert]) {
            expect(ev().recording.isOrderedAfter(cert, secrets)).toBe(true);
            expect(isSecretAt(cert.rawInputs, "caKey")).toBe(true);
            expect(isSecretAt(cert.rawInputs, "caCertificate")).toBe(false);
            expect(cert.additionalSecretOutputs).toEqual(["privateKey"]);
        }
        const gate = ev().recording.find(`${stack}-api-ready`);
        expect(ev().recording.isOrderedAfter(gate, ev().recording.find(`${stack}-bootstrap`))).toBe(true);
        expect(ev().recording.isOrderedAfter(gate, kubeCert)).toBe(true);
        expect(isSecretAt(gate.rawInputs, "kubeconfig")).toBe(true);
        expect(YAML.parse(gate.inputs.kubeconfig as string).clusters[0].cluster.server).toBe(`https://${stack}-k8s.monosense.io:6443`);
        expect(gate.inputs.timeout).toBe("10m");
    });

    test("generates every node's configuration with the pinned Talos contract and Kubernetes version", () => {
        for (const call of ev().recording.invokesOf(GET_CONFIG)) {
            expect(call.inputs).toMatchObject({ clusterName: stack, clusterEndpoint: `https://${stack}-k8s.monosense.io:6443`, talosVersion: "v1.11", kubernetesVersion: "1.34.1" });
            // A freshly built object with exactly the provider's key spelling.
            const secrets = call.inputs.machineSecrets as Record<string, Record<string, unknown>>;
            expect(Object.keys(secrets).sort()).toEqual(["certs", "cluster", "secrets", "trustdinfo"]);
            expect(Object.keys(secrets.certs).sort()).toEqual(["etcd", "k8s", "k8sAggregator", "k8sServiceaccount", "os"]);
        }
    });

    test("exports kubeconfig and talosconfig as secrets; talosconfig dials the control-plane IPs", () => {
        expect(ev().outputs.kubeconfig.secret).toBe(true);
        expect(ev().outputs.talosconfig.secret).toBe(true);
        const talosconfig = YAML.parse(ev().outputs.talosconfig.value as string);
        expect(talosconfig.contexts[stack].endpoints).toEqual(ips);
    });

    test("names resources by cluster and hostname only: no IPs, no indexes", () => {
        const names = talos().map((r) => r.name).sort();
        expect(names).toEqual([...hosts.map((h) => `${stack}-${h}`), `${stack}-bootstrap`, `${stack}-schematic`, `${stack}-secrets`].sort());
        expect(ev().recording.find(`${stack}-rollout`).type).toBe("pulumi-nodejs:dynamic:Resource");
        for (const r of ev().recording.resources) expect(r.name).not.toMatch(/\d+\.\d+\.\d+\.\d+|\[\d+\]/);
    });
});

test("workers are configured after the control plane is bootstrapped", async () => {
    const ev = await runStack("fixture", { config: fixtures("valid").find((f) => f.name === "with-workers")!.config });
    const [bootstrap] = ev.recording.ofType(BOOTSTRAP);
    const applies = ev.recording.ofType(APPLY);
    const workers = applies.filter((a) => a.name.includes("-w"));
    expect(workers.map((w) => w.name).sort()).toEqual(["alpha-alpha-w1", "alpha-alpha-w2"]);
    for (const w of workers) expect(ev.recording.isOrderedAfter(w, bootstrap)).toBe(true);
    for (const cp of applies.filter((a) => !workers.includes(a))) expect(ev.recording.isOrderedAfter(bootstrap, cp)).toBe(true);
    // Workers get the worker base config and no control-plane patch.
    const calls = ev.recording.invokesOf(GET_CONFIG);
    expect(calls.map((c) => c.inputs.machineType).sort()).toEqual(["controlplane", "controlplane", "controlplane", "worker", "worker"]);
    for (const call of calls.filter((c) => c.inputs.machineType === "worker")) expect((call.inputs.configPatches as string[]).join("\n")).not.toContain("allowSchedulingOnControlPlanes");
});

test("reset-on-destroy and the timeouts follow the stack config", async () => {
    const base = stackConfig("infra");
    const talos = JSON.parse(base.values["platform:talos"]);
    const ev = await runStack("infra", {
        config: withKeys(base, { "platform:talos": { ...talos, resetOnDestroy: true, applyMode: "reboot", timeouts: { apply: "3m", bootstrap: "20m" } } }),
    });
    for (const apply of ev.recording.ofType(APPLY)) {
        // The rollout resets a removed node after it left etcd; the apply itself never resets.
        expect(apply.inputs).toMatchObject({ applyMode: "reboot", onDestroy: { reset: false }, timeouts: { create: "3m" } });
    }
    expect((ev.recording.find("infra-rollout").inputs.policy as { resetOnDestroy: boolean }).resetOnDestroy).toBe(true);
    expect(ev.recording.ofType(BOOTSTRAP)[0].inputs.timeouts).toEqual({ create: "20m" });
    expect(ev.recording.find("infra-api-ready").inputs.timeout).toBe("10m");
});

test("a preview before anything exists runs without waiting on unknown values", async () => {
    const ev = await runStack("infra", { preview: true });
    expect(ev.recording.ofType(APPLY)).toHaveLength(3);
    expect(ev.outputs.kubeconfig.value).toBe("[unknown until applied]");
});

test("a Talos version written without its v still installs the v-tagged Factory image", async () => {
    const base = stackConfig("infra");
    const ev = await runStack("infra", { config: withKeys(base, { "platform:versions": { ...JSON.parse(base.values["platform:versions"]), talos: "1.11.6" } }) });
    const patches = (ev.recording.invokesOf(GET_CONFIG)[0].inputs.configPatches as string[]).map((p) => YAML.parse(p));
    expect(patches.find((p) => p.machine?.install)!.machine.install.image).toMatch(/^factory\.talos\.dev\/installer\/[0-9a-f]{64}:v1\.11\.6$/);
});

test.each([
    ["v1.12.11", "1.35.0", "0.7.1", "v1.12"],
    ["v1.13.9", "1.36.4", "0.8.1", "v1.13"],
])("Talos %s runs with the provider release of its minor, and configs of its contract", async (talos, kubernetes, provider, contract) => {
    const base = stackConfig("infra");
    const ev = await runStack("infra", { config: withKeys(base, { "platform:versions": { ...JSON.parse(base.values["platform:versions"]), talos, kubernetes } }) });
    const calls = [...ev.recording.resources.filter((r) => r.type.startsWith("talos:")), ...ev.recording.invokes.filter((i) => i.token.startsWith("talos:"))];
    expect(new Set(calls.map((c) => c.version))).toEqual(new Set([provider]));
    expect(new Set(ev.recording.invokesOf(GET_CONFIG).map((c) => c.inputs.talosVersion))).toEqual(new Set([contract]));
    // No other plugin is pinned to a Talos provider version.
    expect(ev.recording.resources.filter((r) => !r.type.startsWith("talos:") && r.version === provider)).toEqual([]);
});
