import { closest, ConfigError, formatProblem, maskUrlCredentials, Problems, SECRET } from "../model";
import { ConfigProblems, maskCredentials, queryCredentials } from "../stacks/config/credentials";

/** How configuration problems are rendered: `key = value: what is wrong and what to do`. */

describe("values in messages", () => {
    test("strings are quoted, so a string \"1\" and a number 1 look different", () => {
        expect(formatProblem({ path: "platform:cluster.id", value: "1", message: "must be a number" })).toBe('platform:cluster.id = "1": must be a number');
        expect(formatProblem({ path: "platform:cluster.id", value: 1, message: "is taken" })).toBe("platform:cluster.id = 1: is taken");
        expect(formatProblem({ path: "platform:x", value: "", message: "is empty" })).toBe('platform:x = "": is empty');
    });

    test("a missing value is left out; a withheld secret is shown as [secret], unquoted", () => {
        expect(formatProblem({ path: "onepassword:url", message: "is required" })).toBe("onepassword:url: is required");
        expect(formatProblem({ path: "onepassword:url", value: SECRET, message: "must be an http(s) URL" })).toBe("onepassword:url = [secret]: must be an http(s) URL");
    });

    test("long structured values are cut", () => {
        const value = { list: Array.from({ length: 40 }, (_, i) => i) };
        expect(formatProblem({ path: "p", value, message: "m" })).toMatch(/^p = \{"list":\[0,1,.{50,}\.\.\.: m$/);
    });
});

describe("credentials inside URLs are never printed", () => {
    test("userinfo is masked in strings, at any depth, and in the message", () => {
        expect(maskUrlCredentials("https://user:token@github.com/org/repo")).toBe("https://***@github.com/org/repo");
        expect(maskUrlCredentials("http://ghp_abc@github.com/org/repo")).toBe("http://***@github.com/org/repo");
        expect(maskUrlCredentials("see oci://u:p@registry.example.com/x and http://a:b@c")).toBe("see oci://***@registry.example.com/x and http://***@c");
        // An SSH user name is not a credential; an SSH password is.
        expect(maskUrlCredentials("ssh://git@github.com/org/repo")).toBe("ssh://git@github.com/org/repo");
        expect(maskUrlCredentials("ssh://git:hunter2@github.com/org/repo")).toBe("ssh://***@github.com/org/repo");
        expect(maskUrlCredentials("https://github.com/org/repo@v1")).toBe("https://github.com/org/repo@v1");

        const problems = new Problems();
        problems.add("platform:gitops", { url: "https://x:tok@github.com/o/r" }, "bad https://x:tok@github.com/o/r");
        const message = new ConfigError("s", problems.list).message;
        expect(message).toContain('platform:gitops = {"url":"https://***@github.com/o/r"}: bad https://***@github.com/o/r');
        expect(message).not.toContain("tok");
    });
});

describe("the stack config's problem list masks every credential it can recognise", () => {
    const GHP = "ghp_" + "A".repeat(36);

    test("credential query parameters, by name, are masked; ordinary ones are kept", () => {
        expect(queryCredentials("https://h/x?ref=main&access_token=abc&X-Amz-Signature=def&sig=g&key=k&page=2")).toEqual(["access_token", "X-Amz-Signature", "sig", "key"]);
        expect(queryCredentials("https://h/x?token=&password=${PASSWORD}&orgId=1&refresh=30s")).toEqual([]);
        expect(maskCredentials("https://h/x?ref=main&access_token=abc#top")).toBe("https://h/x?ref=main&access_token=***#top");
        expect(maskCredentials("http://u:p@h/?client_secret=s")).toBe("http://***@h/?client_secret=***");
    });

    test("a string holding a token shape is withheld whole", () => {
        expect(maskCredentials(`token ${GHP} here`)).toBe("[redacted]");
        expect(maskCredentials("just text")).toBe("just text");
    });

    test("whatever path prints it, at any depth (an unknown key's value, a field error)", () => {
        const problems = new ConfigProblems();
        problems.add("platform:clusterSetings", { GITHUB: GHP, URL: "https://h/?token=tok" }, "is not a known key");
        const message = new ConfigError("s", problems.list).message;
        expect(message).toContain('platform:clusterSetings = {"GITHUB":"[redacted]","URL":"https://h/?token=***"}: is not a known key');
        expect(message).not.toContain(GHP);
        expect(message).not.toContain("tok\"");
    });
});

describe("suggestions", () => {
    test("the closest known word within a small edit distance", () => {
        expect(closest("platfrom", ["platform", "onepassword"])).toBe("platform");
        expect(closest("URL", ["url", "token"])).toBe("url");
        expect(closest("infar", ["infra", "apps"])).toBe("infra");
        expect(closest("Infra", ["infra", "apps"])).toBe("infra");
        expect(closest("bpfMasquarade", ["bpfMasquerade", "routingMode"])).toBe("bpfMasquerade");
        expect(closest("kubernetes", ["platform", "onepassword"])).toBeUndefined();
        // Equally close candidates: no guess.
        expect(closest("infra-09", ["infra-01", "infra-02", "infra-03"])).toBeUndefined();
    });
});
