import { isDeepStrictEqual } from "util";
import { planSteps, type Step } from "../tools/engine/diff";
import type { Evaluation } from "../tools/engine/engine";
import { Recording } from "../tools/engine/recording";
import { runStack, stackConfig, withKeys } from "./harness";

/**
 * What `pulumi up` does after a config change, planned from two recorded evaluations of stack
 * infra (committed config vs changed config). The machine secrets, the etcd bootstrap and the
 * mesh CA are the cluster's identity: no change may replace them. The Image Factory schematic is
 * replaced exactly when the schematic itself changes.
 */

const base = stackConfig("infra");
const key = (name: string) => JSON.parse(base.values[name]);
/** The committed value of a config key with some fields replaced. */
const patch = (name: string, fields: Record<string, unknown>) => ({ [name]: { ...key(name), ...fields } });

const nodes = key("platform:nodes") as { hostname: string; ip: string }[];
const talos = key("platform:talos") as { schematic: { extensions: string[]; kernelArgs: string[] }; timeouts: Record<string, string> };
const bond = key("platform:network").bond as Record<string, unknown>;

const changes: [string, Record<string, unknown>, { schematic: boolean }][] = [
    ["a Talos patch release", patch("platform:versions", { talos: "v1.11.7" }), { schematic: false }],
    ["a Kubernetes version", patch("platform:versions", { kubernetes: "1.34.2" }), { schematic: false }],
    [
        "a worker node added",
        {
            "platform:nodes": [
                ...nodes,
                { hostname: "infra-04", ip: "10.25.11.22", role: "worker", installDisk: "/dev/nvme0n1", links: [{ name: "enp1s0f0np0", mac: "f8:f2:1e:20:60:d0" }] },
            ],
        },
        { schematic: false },
    ],
    ["the bootstrap node's IP", { "platform:nodes": nodes.map((n, i) => (i === 0 ? { ...n, ip: "10.25.11.21" } : n)) }, { schematic: false }],
    ["the bond MTU", patch("platform:network", { bond: { ...bond, mtu: 1500 } }), { schematic: false }],
    ["a system extension added", patch("platform:talos", { schematic: { ...talos.schematic, extensions: [...talos.schematic.extensions, "siderolabs/util-linux-tools"] } }), { schematic: true }],
    ["a kernel argument removed", patch("platform:talos", { schematic: { ...talos.schematic, kernelArgs: talos.schematic.kernelArgs.filter((a) => a !== "mitigations=off") } }), { schematic: true }],
    ["Cilium's routing mode", patch("platform:cilium", { routingMode: "tunnel" }), { schematic: false }],
    ["a chart override", { "platform:charts": { cilium: { version: "1.18.4" } } }, { schematic: false }],
    ["the Talos timeouts", patch("platform:talos", { timeouts: { ...talos.timeouts, apply: "20m", bootstrap: "30m", apiReady: "20m" } }), { schematic: false }],
    ["reset on destroy", patch("platform:talos", { resetOnDestroy: true }), { schematic: false }],
];

let baseline: Evaluation;
/** The URNs that must never be replaced, by role. */
let identity: Record<string, string>;
let schematicUrn: string;
beforeAll(async () => {
    baseline = await runStack("infra");
    const urn = (name: string) => baseline.recording.find(name).urn;
    identity = { secrets: urn("infra-secrets"), bootstrap: urn("infra-bootstrap"), caKey: urn("infra-mesh-ca-key"), caCert: urn("infra-mesh-ca-cert") };
    schematicUrn = urn("infra-schematic");
});

describe.each(changes)("changing %s", (_what, keys, expected) => {
    let steps: Record<string, Step>;
    let changed: Recording;
    beforeAll(async () => {
        changed = (await runStack("infra", { config: withKeys(base, keys) })).recording;
        steps = planSteps(baseline.recording, changed);
    });

    test("reaches what the program registers or asks the providers for", () => {
        // A Kubernetes version only reaches the base machine config (getConfiguration), which the
        // offline provider fake renders without it, so no resource input changes offline.
        const differs = Object.values(steps).some((s) => s !== "same") || !isDeepStrictEqual(changed.invokes, baseline.recording.invokes);
        expect(differs).toBe(true);
    });

    test("never replaces, deletes or recreates the machine secrets, the bootstrap or the mesh CA", () => {
        const notKept = Object.entries(identity).filter(([, urn]) => steps[urn] !== "same" && steps[urn] !== "update");
        expect(Object.fromEntries(notKept.map(([role, urn]) => [role, steps[urn]]))).toEqual({});
    });

    test(`${expected.schematic ? "replaces" : "keeps"} the Image Factory schematic`, () => {
        expect(steps[schematicUrn]).toBe(expected.schematic ? "replace" : "same");
    });
});

test("machine secrets made for a later Talos contract are kept when the program registers an earlier one", () => {
    // The state as a newer provider release would have left it; lowering talosVersion is what makes
    // the provider replace the secrets (the whole cluster PKI).
    const later = new Recording();
    for (const r of baseline.recording.resources) later.add(r.urn === identity.secrets ? { ...r, inputs: { ...r.inputs, talosVersion: "v1.12" } } : r);
    expect(planSteps(later, baseline.recording)[identity.secrets]).toBe("same");
});
