import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CHARTS } from "../planners/charts";
import { credentialsIn, isCredentialKey, isCredentialValue } from "../policy/credentials";
import { CATALOG_REPOSITORIES, DELETED_WITH_INVISIBLE, policies, repositoryLocation } from "../policy/policies";
import type { Evaluation } from "../tools/engine/engine";
import { type RecordedResource, secretPaths, UNKNOWN } from "../tools/engine/recording";
import { ROOT, runStack } from "./harness";
import { type AdaptOptions, copyResources, runPolicies } from "./support/policy-args";

/**
 * The policy pack (policy/) against the program's recorded registrations: both stacks pass every
 * policy, and for each policy a deliberately broken copy of a recording fails that policy and no
 * other. The policies run as @pulumi/policy would run them (tests/support/policy-args.ts); the pack
 * itself (`new PolicyPack`) is never constructed here, since it starts a gRPC server.
 */

type Stack = "infra" | "apps";
const STACKS: Stack[] = ["infra", "apps"];
const evaluations = {} as Record<Stack, Evaluation>;
beforeAll(async () => {
    evaluations.infra = await runStack("infra");
    evaluations.apps = await runStack("apps");
});

/** An engine that shows deletedWith to policies (none released does; see DELETED_WITH_INVISIBLE). */
const VISIBLE: AdaptOptions = { deletedWith: "visible" };

/** Names of the policies with at least one violation. */
function failing(resources: RecordedResource[], options: AdaptOptions = VISIBLE): string[] {
    return Object.entries(runPolicies(policies, { resources }, options))
        .filter(([, r]) => r.violations.length > 0)
        .map(([name]) => name);
}

function messages(resources: RecordedResource[], policy: string, options: AdaptOptions = VISIBLE): string[] {
    return runPolicies(policies, { resources }, options)[policy].violations.map((v) => v.message);
}

const named = (resources: RecordedResource[], name: string) => resources.find((r) => r.name === name)!;
const setAt = (obj: Record<string, unknown>, keys: string[], value: unknown) => {
    let cur = obj;
    for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
    cur[keys[keys.length - 1]] = value;
};
/** Changes an input the same way in the unwrapped and the wire inputs. */
const setInput = (r: RecordedResource, keys: string[], value: unknown) => {
    setAt(r.inputs, keys, value);
    setAt(r.rawInputs, keys, value);
};
const removeInput = (r: RecordedResource, key: string) => {
    delete r.inputs[key];
    delete r.rawInputs[key];
};

describe.each(STACKS)("the committed stack %s", (stack) => {
    test("passes every policy when the engine shows deletedWith", () => {
        const results = runPolicies(policies, evaluations[stack].recording, VISIBLE);
        for (const [name, r] of Object.entries(results)) expect({ name, ...r }).toEqual({ name, violations: [], notApplicable: [] });
    });

    test("with today's engines (no deletedWith for policies): the deletedWith check says it could not run, every other policy passes", () => {
        const results = runPolicies(policies, evaluations[stack].recording);
        expect(results["in-cluster-deleted-with-cluster"]).toEqual({ violations: [], notApplicable: [DELETED_WITH_INVISIBLE] });
        const inCluster = evaluations[stack].recording.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);
        expect(inCluster.length).toBeGreaterThan(20);
        expect(results["deleted-with-visible-to-policies"].violations).toEqual([{ message: expect.stringContaining(`did not check ${inCluster.length} in-cluster objects`) }]);
        const others = Object.entries(results).filter(([name]) => !name.startsWith("in-cluster-deleted-with") && !name.startsWith("deleted-with-visible"));
        for (const [name, r] of others) expect({ name, ...r }).toEqual({ name, violations: [], notApplicable: [] });
    });

    test("passes during preview too, with unknown inputs behind the SDK's throwing proxy", async () => {
        const preview = await runStack(stack, { preview: true });
        const provider = preview.recording.find(`${stack}-kubernetes`);
        expect(provider.inputs.kubeconfig).toBe(UNKNOWN); // the preview really has unknowns to trip over
        const results = runPolicies(policies, preview.recording, VISIBLE);
        for (const [name, r] of Object.entries(results)) expect({ name, ...r }).toEqual({ name, violations: [], notApplicable: [] });
    });

    test("the one secret the program puts into Helm values is the leaf no-plaintext-credentials exempts, and it is secret", () => {
        const rec = evaluations[stack].recording;
        const secretLeaves = rec.ofType("kubernetes:helm.sh/v3:Release").map((r) => [r.inputs.chart, secretPaths(r.rawInputs.values)] as const);
        expect(secretLeaves.filter(([, paths]) => paths.length > 0)).toEqual([["cilium", ["tls.ca.key"]]]);
        for (const cm of rec.ofType("kubernetes:core/v1:ConfigMap")) expect(secretPaths(cm.rawInputs)).toEqual([]);
    });

    test("its stack file refuses default Kubernetes providers (what no policy can read)", () => {
        const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
        expect(file.config["pulumi:disable-default-providers"]).toEqual(expect.arrayContaining(["kubernetes"]));
    });
});

/** [stack, what is broken, the policy that must fail, the change, a planted value no message may show]. */
type Breakage = [Stack, string, string, (rs: RecordedResource[]) => void, string?];
// Assembled at run time, so secret scanners (and the repository's own check) see no key block in the source.
const KEY_TYPE = "RSA";
const PEM = `-----BEGIN ${KEY_TYPE} PRIVATE KEY-----\nMIIEowIBAAKCAQEAplanted\n-----END ${KEY_TYPE} PRIVATE KEY-----\n`;
const GITHUB_TOKEN = `ghp_${"a1B2c3D4e5".repeat(4)}`;
const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlLXBsYW50ZWQ";

const breakages: Breakage[] = [
    ["infra", "a release with a version range", "helm-release-pinned", (rs) => setInput(named(rs, "infra-cilium-release"), ["version"], "^1.18")],
    ["apps", "a release with no version", "helm-release-pinned", (rs) => setInput(named(rs, "apps-addons-coredns"), ["version"], "")],
    ["infra", "a release from a repository outside the catalog", "helm-release-pinned", (rs) => setInput(named(rs, "infra-addons-coredns"), ["repositoryOpts", "repo"], "https://charts.example.com/helm")],
    ["apps", "an OCI chart from another owner on the same registry", "helm-release-pinned", (rs) => setInput(named(rs, "apps-addons-spegel"), ["chart"], "oci://ghcr.io/someone-else/helm-charts/spegel")],
    ["infra", "a release resolved from the runner's local repositories", "helm-release-pinned", (rs) => removeInput(named(rs, "infra-addons-external-secrets"), "repositoryOpts")],
    ["infra", "a ConfigMap holding a PEM private key", "no-plaintext-credentials", (rs) => setInput(named(rs, "infra-flux-cluster-settings"), ["data", "CA_KEY"], PEM), "MIIEowIBAAKCAQEAplanted"],
    ["apps", "a GitHub token in an annotation", "no-plaintext-credentials", (rs) => setInput(named(rs, "apps-addons-flux-namespace"), ["metadata", "annotations", "example.com/note"], GITHUB_TOKEN), GITHUB_TOKEN],
    ["infra", "a 1Password Connect token (JWT) in a ConfigMap", "no-plaintext-credentials", (rs) => setInput(named(rs, "infra-flux-cluster-settings"), ["data", "OP_CONNECT"], JWT), JWT],
    ["apps", "a password in Helm values", "no-plaintext-credentials", (rs) => setInput(named(rs, "apps-addons-coredns"), ["values", "auth", "password"], "hunter2-hunter2"), "hunter2-hunter2"],
    ["infra", "a URL with a password in a ConfigMap", "no-plaintext-credentials", (rs) => setInput(named(rs, "infra-flux-cluster-settings"), ["data", "MINIO_URL"], "http://minio:pl4nted-pw@10.25.11.3:9000"), "pl4nted-pw"],
    ["apps", "an AWS key in a ConfigMap's binaryData", "no-plaintext-credentials", (rs) => setInput(named(rs, "apps-flux-cluster-settings"), ["binaryData", "aws"], Buffer.from("id=AKIAPLANTED000000000").toString("base64")), "AKIAPLANTED000000000"],
    [
        "infra",
        "the Cilium CA key in another chart's values",
        "no-plaintext-credentials",
        (rs) => setInput(named(rs, "infra-addons-coredns"), ["values", "tls"], { ca: { key: (named(rs, "infra-cilium-release").inputs.values as { tls: { ca: { key: string } } }).tls.ca.key } }),
    ],
    ["infra", "an in-cluster object without deletedWith", "in-cluster-deleted-with-cluster", (rs) => delete named(rs, "infra-cilium-spire-namespace").deletedWith],
    ["apps", "an in-cluster object deletedWith something other than the cluster", "in-cluster-deleted-with-cluster", (rs) => (named(rs, "apps-flux-cluster-settings").deletedWith = named(rs, "apps-secrets").urn)],
    ["infra", "the machine secrets unprotected", "pki-protected", (rs) => (named(rs, "infra-secrets").protect = false)],
    ["apps", "the machine secrets unprotected", "pki-protected", (rs) => (named(rs, "apps-secrets").protect = false)],
    ["infra", "the mesh CA key unprotected", "pki-protected", (rs) => (named(rs, "infra-mesh-ca-key").protect = false)],
    ["infra", "the mesh CA certificate unprotected", "pki-protected", (rs) => (named(rs, "infra-mesh-ca-cert").protect = false)],
    ["infra", "a Kubernetes object on the default provider", "no-ambient-kubeconfig", (rs) => delete named(rs, "infra-addons-flux-namespace").provider],
    ["apps", "a Kubernetes provider without a kubeconfig", "no-ambient-kubeconfig", (rs) => setInput(named(rs, "apps-kubernetes"), ["kubeconfig"], "")],
    ["infra", "a Kubernetes provider pointed at a kubeconfig file", "no-ambient-kubeconfig", (rs) => setInput(named(rs, "infra-kubernetes"), ["kubeconfig"], "/home/runner/.kube/config")],
];

describe("a deliberately broken copy of a recording fails exactly its policy", () => {
    // Always five arguments: with fewer, jest would pass its `done` callback as the last one.
    test.each(breakages.map(([s, w, p, b, planted]) => [s, w, p, b, planted ?? null] as const))("%s: %s → %s", (stack, _what, policy, breakIt, planted) => {
        const resources = copyResources(evaluations[stack].recording);
        breakIt(resources);
        expect(failing(resources)).toEqual([policy]);
        const found = messages(resources, policy);
        for (const m of found) {
            expect(m.length).toBeGreaterThan(0);
            if (planted) expect(m).not.toContain(planted);
        }
    });

    test("every policy has a case of its own (the advisory one: today's engines, above)", () => {
        const covered = new Set([...breakages.map((b) => b[2]), "deleted-with-visible-to-policies"]);
        expect(policies.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
    });
});

describe("helm-release-pinned", () => {
    test("allows every repository of the chart catalog, each a location rather than a bare shared registry", () => {
        for (const c of Object.values(CHARTS)) {
            const location = repositoryLocation("repo" in c ? c.repo : c.chart.slice(0, c.chart.lastIndexOf("/")))!;
            expect(CATALOG_REPOSITORIES).toContain(location);
        }
        for (const registry of ["oci://ghcr.io", "oci://quay.io"]) expect(CATALOG_REPOSITORIES).not.toContain(registry);
    });

    test("a repository outside the catalog passes once the policy config allows it", () => {
        const resources = copyResources(evaluations.infra.recording);
        setInput(named(resources, "infra-addons-coredns"), ["repositoryOpts", "repo"], "https://charts.example.com/helm/");
        const config = { "helm-release-pinned": { additionalRepositories: ["https://charts.example.com/helm"] } };
        expect(failing(resources, { ...VISIBLE, config })).toEqual([]);
    });

    test.each(["1.18.3", "v1.19.1", "0.33.0", "1.2.3-rc.1+build.5"])("accepts the exact version %s", (version) => {
        const resources = copyResources(evaluations.infra.recording);
        setInput(named(resources, "infra-cilium-release"), ["version"], version);
        expect(failing(resources)).toEqual([]);
    });

    test.each(["^1.18", "~1.18.3", "1.18", "1.18.x", ">=1.18.0", "latest", "*"])("rejects %s", (version) => {
        const resources = copyResources(evaluations.infra.recording);
        setInput(named(resources, "infra-cilium-release"), ["version"], version);
        expect(failing(resources)).toEqual(["helm-release-pinned"]);
    });
});

describe("what looks like a credential", () => {
    test.each([
        ["a PEM private key", PEM],
        ["a base64-encoded PEM private key", Buffer.from(PEM).toString("base64")],
        ["a GitHub token", `token ${GITHUB_TOKEN}`],
        ["a GitHub token", `github_pat_${"x".repeat(30)}`],
        ["a JSON Web Token (the shape of a 1Password Connect token)", JWT],
        ["an AWS access key id", "AKIAIOSFODNN7EXAMPLE"],
        ["a URL with a password in it (user:password@host)", "postgres://app:pw@db:5432/app"],
    ])("finds %s", (kind, text) => {
        expect(credentialsIn(text)).toContain(kind);
    });

    test.each([
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----").toString("base64"),
        "postgres://app:${DB_PASSWORD}@db:5432/app",
        "https://github.com/monosense-io/k8s-gitops",
        "http://opconnect.monosense.dev",
    ])("finds nothing in %s", (text) => {
        expect(credentialsIn(text)).toEqual([]);
    });

    test("keys named for a credential, not ones that merely mention one", () => {
        for (const key of ["password", "DB_PASSWORD", "apiToken", "clientSecret", "apiKey", "secretAccessKey", "example.com/deploy-token"]) expect({ key, yes: isCredentialKey(key) }).toEqual({ key, yes: true });
        for (const key of ["CERTMANAGER_CLOUDFLARE_SECRET_PATH", "EXTERNAL_SECRET_STORE", "SECRET_DOMAIN", "tokenSecretRef", "passwordFile", "key", "topologyKey", "ONEPASSWORD_CONNECT_HOST"]) {
            expect({ key, yes: isCredentialKey(key) }).toEqual({ key, yes: false });
        }
    });

    test("the name of a Secret, a placeholder or an empty value is no credential", () => {
        expect(isCredentialValue("ONEPASSWORD_CONNECT_TOKEN_SECRET", "onepassword-connect-token")).toBe(false);
        expect(isCredentialValue("existingSecret", "grafana-admin")).toBe(false);
        expect(isCredentialValue("password", "${GRAFANA_PASSWORD}")).toBe(false);
        expect(isCredentialValue("password", " ")).toBe(false);
        expect(isCredentialValue("password", "grafana-admin")).toBe(true);
        expect(isCredentialValue("clientSecret", "Zm9vYmFyYmF6")).toBe(true);
    });
});

describe("the pack", () => {
    const dir = path.join(ROOT, "policy");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");

    test("policies: unique valid names, mandatory but for the advisory notice", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(n).toMatch(/^[a-zA-Z0-9-_.]{1,100}$/);
        expect(names).not.toContain("all");
        expect(policies.filter((p) => p.enforcementLevel !== "mandatory").map((p) => p.name)).toEqual(["deleted-with-visible-to-policies"]);
    });

    test("is a nodejs pack whose index.ts only builds the pack from policies.ts", () => {
        expect(parse(read("PulumiPolicy.yaml"))).toMatchObject({ runtime: "nodejs", description: expect.any(String) });
        const code = read("index.ts").replace(/\/\/.*$/gm, "").trim();
        expect(code).toBe('import { PolicyPack } from "@pulumi/policy";\nimport { policies } from "./policies";\n\n\nnew PolicyPack("platform", { policies });');
    });

    test("pins its own dependencies exactly, the SDK at the program's version, and installs them from its lockfile", () => {
        const pkg = JSON.parse(read("package.json")) as { version: string; dependencies: Record<string, string> };
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies["@pulumi/policy"]).toBe("1.21.0");
        expect(pkg.dependencies["@pulumi/pulumi"]).toBe(root.dependencies["@pulumi/pulumi"]);
        for (const v of Object.values(pkg.dependencies)) expect(v).toMatch(/^\d+\.\d+\.\d+$/);
        const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
        expect(lock.packages[""].dependencies).toEqual(pkg.dependencies);
        // One copy of the SDK: the one @pulumi/policy's gRPC server and the analyzer protocol come from.
        expect(Object.keys(lock.packages).filter((p) => p.endsWith("node_modules/@pulumi/pulumi"))).toEqual(["node_modules/@pulumi/pulumi"]);
        expect(lock.packages["node_modules/@pulumi/pulumi"].version).toBe(pkg.dependencies["@pulumi/pulumi"]);
    });
});
