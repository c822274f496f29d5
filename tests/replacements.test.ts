import { isDeepStrictEqual } from "util";
import { planSteps, type Step } from "../tools/engine/diff";
import type { Evaluation } from "../tools/engine/engine";
import { Recording, type RecordedResource } from "../tools/engine/recording";
import { runStack, stackConfig, withKeys } from "./harness";

/**
 * What `pulumi up` does after a config change, planned from two recorded evaluations of stack
 * infra (committed config vs changed config). The machine secrets, the etcd bootstrap and the
 * mesh CA are the cluster's identity: none of the changes below may replace them. The Image
 * Factory schematic is replaced exactly when the schematic itself changes.
 *
 * The changes are the day-2 edits of the stack file: versions (a Talos patch release, a Talos
 * minor upgrade, which moves the machine-config contract and the Talos provider release of every
 * Talos resource, and a Kubernetes version), nodes, network, schematic, Cilium, chart overrides,
 * Talos timeouts and reset, and the ClusterMesh settings around the mesh CA (peers, the
 * clustermesh-apiserver address, the auth mode). Not among them: the cluster name (every resource
 * name starts with it, so a rename is a new cluster) and `platform:clustermesh.caStack` on the
 * stack that owns the CA (that moves the CA to another stack).
 */

const base = stackConfig("infra");
const key = (name: string) => JSON.parse(base.values[name]);
/** The committed value of a config key with some fields replaced. */
const patch = (name: string, fields: Record<string, unknown>) => ({ [name]: { ...key(name), ...fields } });

const nodes = key("platform:nodes") as { hostname: string; ip: string }[];
const talos = key("platform:talos") as { schematic: { extensions: string[]; kernelArgs: string[] }; timeouts: Record<string, string> };
const bond = key("platform:network").bond as Record<string, unknown>;

const mesh = key("platform:clustermesh") as { peers: { name: string; id: number; ip: string }[] };

/**
 * Each change, and what it must do: replace the schematic or not, and which identity resources'
 * registrations (inputs or provider release) it reaches, so that "never replaced" is claimed of
 * resources the change really touches.
 */
interface Expected {
    schematic: boolean;
    reaches: string[];
}
const none = { schematic: false, reaches: [] };
const changes: [string, Record<string, unknown>, Expected][] = [
    ["a Talos patch release", patch("platform:versions", { talos: "v1.11.7" }), none],
    // Kubernetes 1.34 is within Talos 1.12's range (1.30-1.35): the minor moves alone.
    ["a Talos minor upgrade (1.11 to 1.12)", patch("platform:versions", { talos: "v1.12.11" }), { schematic: false, reaches: ["secrets", "bootstrap"] }],
    ["a Talos and a Kubernetes minor upgrade together", patch("platform:versions", { talos: "v1.12.11", kubernetes: "1.35.0" }), { schematic: false, reaches: ["secrets", "bootstrap"] }],
    ["a Kubernetes version", patch("platform:versions", { kubernetes: "1.34.2" }), none],
    [
        "a worker node added",
        {
            "platform:nodes": [
                ...nodes,
                { hostname: "infra-04", ip: "10.25.11.22", role: "worker", installDisk: "/dev/nvme0n1", links: [{ name: "enp1s0f0np0", mac: "f8:f2:1e:20:60:d0" }] },
            ],
        },
        none,
    ],
    // The Bootstrap resource takes the node and the timeouts; the provider updates them in place (a no-op).
    ["the bootstrap node's IP", { "platform:nodes": nodes.map((n, i) => (i === 0 ? { ...n, ip: "10.25.11.21" } : n)) }, { schematic: false, reaches: ["bootstrap"] }],
    ["the bond MTU", patch("platform:network", { bond: { ...bond, mtu: 1500 } }), none],
    ["a system extension added", patch("platform:talos", { schematic: { ...talos.schematic, extensions: [...talos.schematic.extensions, "siderolabs/util-linux-tools"] } }), { schematic: true, reaches: [] }],
    ["a kernel argument removed", patch("platform:talos", { schematic: { ...talos.schematic, kernelArgs: talos.schematic.kernelArgs.filter((a) => a !== "mitigations=off") } }), { schematic: true, reaches: [] }],
    ["Cilium's routing mode", patch("platform:cilium", { routingMode: "tunnel" }), none],
    ["a chart override", { "platform:charts": { cilium: { version: "1.18.4" } } }, none],
    ["the Talos timeouts", patch("platform:talos", { timeouts: { ...talos.timeouts, apply: "20m", bootstrap: "30m", apiReady: "20m" } }), { schematic: false, reaches: ["bootstrap"] }],
    ["reset on destroy", patch("platform:talos", { resetOnDestroy: true }), none],
    ["a mesh peer added", patch("platform:clustermesh", { peers: [...mesh.peers, { name: "edge", id: 3, ip: "10.25.11.140" }] }), none],
    ["a mesh peer's address", patch("platform:clustermesh", { peers: mesh.peers.map((p) => ({ ...p, ip: "10.25.11.125" })) }), none],
    ["every mesh peer removed", patch("platform:clustermesh", { peers: [] }), none],
    ["the clustermesh-apiserver address", patch("platform:clustermesh", { ip: "10.25.11.101" }), none],
    ["the mesh auth mode", patch("platform:clustermesh", { authMode: "migration" }), none],
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

/** The identity resources a plan does not keep (same or update), with the step it takes instead. */
function notKept(steps: Record<string, Step>): Record<string, Step> {
    return Object.fromEntries(Object.entries(identity).flatMap(([role, urn]) => (steps[urn] === "same" || steps[urn] === "update" ? [] : [[role, steps[urn]]])));
}

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

    test(`reaches the registration of ${expected.reaches.length === 0 ? "no identity resource" : `the ${expected.reaches.join(" and the ")}`}`, () => {
        const registration = (r: RecordedResource) => ({ inputs: r.inputs, provider: r.provider, version: r.version, pluginDownloadURL: r.pluginDownloadURL });
        const reached = Object.entries(identity).filter(([, urn]) => !isDeepStrictEqual(registration(baseline.recording.resource(urn)), registration(changed.resource(urn))));
        expect(reached.map(([role]) => role)).toEqual(expected.reaches);
    });

    test("never replaces, deletes or recreates the machine secrets, the bootstrap or the mesh CA", () => {
        expect(notKept(steps)).toEqual({});
    });

    test(`${expected.schematic ? "replaces" : "keeps"} the Image Factory schematic`, () => {
        expect(steps[schematicUrn]).toBe(expected.schematic ? "replace" : "same");
    });
});

/** The baseline as a program registering `change(r)` for the resource with `urn` would leave it. */
function registeringChanged(urn: string, change: (r: RecordedResource) => RecordedResource): Recording {
    const after = new Recording();
    for (const r of baseline.recording.resources) after.add(r.urn === urn ? change(r) : r);
    return after;
}

test("the check sees a replaced identity: a mesh CA with another subject, secrets on another provider instance, a bootstrap of another node", () => {
    const subject = registeringChanged(identity.caCert, (r) => ({ ...r, inputs: { ...r.inputs, subject: { commonName: "Cilium CA", organization: "platform infra (mesh)" } } }));
    const provider = registeringChanged(identity.secrets, (r) => ({ ...r, provider: "urn:pulumi:infra::platform::pulumi:providers:talos::explicit" }));
    const bootstrap = registeringChanged(identity.bootstrap, (r) => ({ ...r, name: "infra-bootstrap-2", urn: `${r.urn}-2` }));
    expect([subject, provider, bootstrap].map((after) => notKept(planSteps(baseline.recording, after)))).toEqual([{ caCert: "replace" }, { secrets: "replace" }, { bootstrap: "delete" }]);
});

test("machine secrets made for a later Talos contract are kept when the program registers an earlier one", () => {
    // The state as a newer provider release would have left it; lowering talosVersion is what makes
    // the provider replace the secrets (the whole cluster PKI).
    const later = new Recording();
    for (const r of baseline.recording.resources) later.add(r.urn === identity.secrets ? { ...r, inputs: { ...r.inputs, talosVersion: "v1.12" } } : r);
    expect(planSteps(later, baseline.recording)[identity.secrets]).toBe("same");
});
