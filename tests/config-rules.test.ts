import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../model";
import { parseStackConfig, type RawConfig } from "../stacks/config/parse";
import { fixtures } from "./fixtures";
import { PROJECT, stackConfig, withKeys } from "./harness";

/** Stack-config rules beyond one fixture each: how overrides resolve, secrets, one round of problems. */

const ctx = { stack: "infra", project: PROJECT, organization: "organization" };
const problemsOf = (config: RawConfig, patchRoot?: string, stack = "infra"): string[] => {
    try {
        parseStackConfig(config, { ...ctx, stack }, {}, patchRoot === undefined ? {} : { patchRoot });
    } catch (e) {
        if (e instanceof ConfigError) return e.message.split("\n").slice(1);
        throw e;
    }
    return [];
};
const key = (name: string) => JSON.parse(stackConfig("infra").values[name]) as Record<string, unknown>;

describe("chart overrides", () => {
    test("an OCI override replaces the chart reference; a classic override replaces the repository", () => {
        const { platform } = parseStackConfig(fixtures("valid").find((f) => f.name === "chart-mirrors")!.config, ctx);
        expect(platform.charts.spegel).toEqual({ chart: "oci://registry.mirror.example.com/spegel-org/helm-charts/spegel", version: "0.4.0" });
        expect(platform.charts.cilium).toEqual({ chart: "cilium", repo: "https://charts.mirror.example.com/cilium", version: "1.18.4" });
        expect(platform.charts.certManager).toEqual({ chart: "oci://quay.io/jetstack/charts/cert-manager", version: "v1.19.1" });
    });
});

describe("a value set as a secret is never printed", () => {
    const MARK = "LEAKED-VALUE";
    /** Every string and number leaf replaced by something invalid that carries the mark. */
    const poison = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(poison) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, poison(x)])) : `${MARK}://x:${MARK}@${MARK}`;

    test.each(Object.keys(stackConfig("infra").values).filter((k) => k.startsWith("platform:") || k === "onepassword:url"))("%s, invalid and secret", (name) => {
        const base = stackConfig("infra");
        const value = name.startsWith("platform:") ? poison(JSON.parse(base.values[name])) : `${MARK} not a url`;
        const lines = problemsOf(withKeys(base, { [name]: value }, [name]));
        expect(lines.length).toBeGreaterThan(0);
        expect(lines.join("\n")).not.toContain(MARK);
    });

    test("nor is a misspelled key's value, or a plain-text token", () => {
        const base = stackConfig("infra");
        const config = withKeys(base, { "onepassword:tokn": MARK, "platfrom:bgp": MARK, "onepassword:token": MARK }, ["onepassword:tokn", "platfrom:bgp"]);
        const lines = problemsOf({ ...config, secretKeys: config.secretKeys.filter((k) => k !== "onepassword:token") });
        expect(lines).toEqual([
            "  - onepassword:tokn = [secret]: is not read by this program, which talks to 1Password Connect with onepassword:url and onepassword:token only; did you mean onepassword:token?",
            '  - platfrom:bgp = [secret]: is in namespace "platfrom", which this program does not read; did you mean platform:bgp?',
            "  - onepassword:token = [redacted]: is stored in plain text; remove it and run `pulumi config set --secret onepassword:token <Connect token>`",
        ]);
    });
});

describe("a key that holds no credentials must not be a secret", () => {
    test("onepassword:url set with --secret, a valid URL as pulumi up decrypts it, is refused: it would be written in plain text into the cluster", () => {
        const url = "http://opconnect.monosense.dev";
        const lines = problemsOf(withKeys(stackConfig("infra"), { "onepassword:url": url }, ["onepassword:url"]));
        expect(lines).toEqual([expect.stringMatching(/^  - onepassword:url = \[secret\]: must not be a secret: .*cluster-settings ONEPASSWORD_CONNECT_HOST, the ClusterSecretStore/)]);
        expect(lines.join("\n")).not.toContain("opconnect");
    });
});

describe("every problem in one run", () => {
    test("a field error in one key does not hide the whole-configuration rules of the others", () => {
        const nodes = key("platform:nodes") as unknown as { hostname: string }[];
        nodes[1].hostname = nodes[0].hostname;
        const lines = problemsOf(
            withKeys(stackConfig("infra"), {
                "platform:cluster": { ...key("platform:cluster"), id: 0 },
                "platform:nodes": nodes,
                "platform:bgp": { ...key("platform:bgp"), peerAddress: "10.25.11.105" },
                "platform:clusterSettings": { ...key("platform:clusterSettings"), CLUSTER: "infra" },
                "platform:versions": { ...key("platform:versions"), flux: "2.6.0" },
            }),
        );
        expect(lines).toEqual([
            expect.stringMatching(/^  - platform:cluster\.id = 0: must be between 1 and 255/),
            expect.stringMatching(/^  - platform:nodes\[1\]\.hostname = "infra-01": duplicates/),
            expect.stringMatching(/^  - platform:bgp\.peerAddress = "10\.25\.11\.105": is inside platform:cilium\.lbPool/),
            expect.stringMatching(/^  - platform:versions\.flux = "2\.6\.0": is not shipped by flux-operator 0\.33\.0/),
            expect.stringMatching(/^  - platform:clusterSettings\.CLUSTER = "infra": is derived from the stack config/),
        ]);
    });
});

describe("one bad field hides no other check, not even on its own key", () => {
    const nodes = () => key("platform:nodes") as unknown as Record<string, unknown>[];

    test("a node with a bad address: the duplicate hostname of another, the BGP peer, the mesh peer and the node patch files are still checked", () => {
        const broken = nodes();
        broken[0].ip = "10.25.11.300";
        broken[2].hostname = "infra-01";
        const config = withKeys(stackConfig("infra"), {
            "platform:nodes": broken,
            "platform:bgp": { ...key("platform:bgp"), peerAddress: "10.25.11.12" },
            "platform:clustermesh": { ...key("platform:clustermesh"), peers: [{ name: "apps", id: 2, ip: "10.25.11.13" }] },
        });
        const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "one-round-")), "talos");
        fs.mkdirSync(path.join(root, "infra", "nodes"), { recursive: true });
        fs.writeFileSync(path.join(root, "infra", "nodes", "infra-09.yaml"), "machine: {}\n");
        try {
            expect(problemsOf(config, root)).toEqual([
                '  - platform:nodes[0].ip = "10.25.11.300": must be an IPv4 address such as 10.25.11.11',
                '  - platform:nodes[2].hostname = "infra-01": duplicates platform:nodes[0].hostname; hostnames must be unique',
                '  - platform:clustermesh.peers[0].ip = "10.25.11.13": is one of this cluster\'s node addresses',
                '  - platform:bgp.peerAddress = "10.25.11.12": is platform:nodes[1].ip; BGP peers with the router, not with a node of this cluster',
                expect.stringMatching(/^  - talos\/infra\/nodes\/infra-09\.yaml: names no node of platform:nodes \(known: infra-01, infra-02\)/),
            ]);
        } finally {
            fs.rmSync(path.dirname(root), { recursive: true, force: true });
        }
    });

    test("a bad Gateway IP and a bad peer port: the LB pool and the other peers are still checked", () => {
        const lines = problemsOf(
            withKeys(stackConfig("infra"), {
                "platform:cilium": { ...key("platform:cilium"), gatewayIp: "gateway", lbPool: { start: "10.25.11.10", stop: "10.25.11.119" } },
                "platform:clustermesh": {
                    ...key("platform:clustermesh"),
                    peers: [
                        { name: "apps", id: 2, ip: "10.25.11.120", port: 0 },
                        { name: "apps", id: 3, ip: "10.25.11.121" },
                    ],
                },
            }),
        );
        expect(lines).toEqual([
            '  - platform:cilium.gatewayIp = "gateway": must be an IPv4 address such as 10.25.11.11',
            "  - platform:clustermesh.peers[0].port = 0: must be between 1 and 65535: a TCP port",
            expect.stringMatching(/^  - platform:cilium\.lbPool = .*: contains platform:nodes\[0\]\.ip 10\.25\.11\.11; keep node addresses out of the pool$/),
            expect.stringMatching(/^  - platform:cilium\.lbPool = .*: contains platform:nodes\[1\]\.ip 10\.25\.11\.12/),
            expect.stringMatching(/^  - platform:cilium\.lbPool = .*: contains platform:nodes\[2\]\.ip 10\.25\.11\.13/),
            '  - platform:clustermesh.peers[1].name = "apps": is listed twice',
        ]);
    });

    /** Every field and object of `value`, with its path below the key. */
    const paths = (value: unknown, at: (string | number)[] = []): (string | number)[][] =>
        value !== null && typeof value === "object"
            ? [...(at.length > 0 ? [at] : []), ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, Array.isArray(value) ? Number(k) : k]))]
            : [at];
    const replaced = (value: unknown, at: (string | number)[], by: unknown): unknown => {
        if (at.length === 0) return by;
        const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
        copy[at[0]] = replaced(copy[at[0]], at.slice(1), by);
        return copy;
    };
    const cases = ["infra", "apps"].flatMap((stack) => {
        const values = stackConfig(stack).values;
        return Object.keys(values)
            .filter((k) => k.startsWith("platform:"))
            .flatMap((k) => paths(JSON.parse(values[k])).map((at) => [stack, `${k}${at.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("")}`, k, at] as const));
    });

    test.each(cases)("%s, %s invalid: one problem, of that field; every rule on what parsed runs, without failing", (stack, name, fullKey, at) => {
        const base = stackConfig(stack);
        const value = JSON.parse(base.values[fullKey]) as unknown;
        const leaf = at.reduce<unknown>((v, s) => (v as Record<string | number, unknown>)[s], value);
        const bad = typeof leaf === "boolean" ? "yes" : true;
        const lines = problemsOf(withKeys(base, { [fullKey]: replaced(value, at, bad) }), undefined, stack);
        expect(lines).toEqual([expect.stringContaining(`  - ${name} = `)]);
    });
});

describe("this cluster's identity against its mesh peers", () => {
    const apps = stackConfig("apps");
    const appsKey = (name: string) => JSON.parse(apps.values[name]) as Record<string, unknown>;
    const parseApps = (cluster: Record<string, unknown>) => {
        try {
            parseStackConfig(withKeys(apps, { "platform:cluster": { ...appsKey("platform:cluster"), ...cluster } }), { ...ctx, stack: "apps" });
        } catch (e) {
            return (e as ConfigError).message.split("\n").slice(1);
        }
        return [];
    };

    test("apps with infra's id or name names platform:cluster.*, not the (correct) peer entry", () => {
        expect(parseApps({ id: 1 })).toEqual([
            "  - platform:cluster.id = 1: is also the id of mesh peer platform:clustermesh.peers[0] (infra); meshed clusters need different ids: if this stack file was copied from infra's, give this cluster its own id; if the peer entry is the wrong one, set platform:clustermesh.peers[0].id to the id in that cluster's own stack (platform:cluster.id)",
        ]);
        expect(parseApps({ name: "infra" })).toEqual([
            expect.stringMatching(/^  - platform:cluster\.name = "infra": is also the name of mesh peer platform:clustermesh\.peers\[0\] \(endpoint 10\.25\.11\.100\); meshed clusters need different names/),
        ]);
    });
});
