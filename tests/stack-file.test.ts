import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../tools/engine/stack-file";

/** Reading a stack file the way the Pulumi CLI hands it to the program. */

describe("readStackFile", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (text: string) => {
        const file = path.join(dir, "Pulumi.infra.yaml");
        fs.writeFileSync(file, text);
        return file;
    };

    test("reads the config: section", () => {
        expect(readStackFile(write("config:\n  platform:addons: {spegel: false}\n"), "platform").values).toEqual({ "platform:addons": '{"spegel":false}' });
    });

    test("a file whose keys are not under config: says so, instead of reporting every key as missing", () => {
        const file = write("platform:cluster:\n  name: infra\nplatform:addons: {spegel: false}\n");
        expect(() => readStackFile(file, "platform")).toThrow(
            `${file} has no config: section, so Pulumi would read none of its settings; indent platform:cluster, platform:addons under a top-level config: key`,
        );
    });

    test("a file that is not valid YAML is named in the error, with the line", () => {
        const file = write("config:\n  platform:cluster:\n    name: infra\n   id: 1\n");
        expect(() => readStackFile(file, "platform")).toThrow(`${file} is not valid YAML: All mapping items must start at the same column at line 4, column 1`);
        const duplicate = write("config:\n  platform:addons: {spegel: false}\n  platform:addons: {spegel: true}\n");
        expect(() => readStackFile(duplicate, "platform")).toThrow(`${duplicate} is not valid YAML: Map keys must be unique at line 3, column 3`);
    });

    test("a file with only what `pulumi stack init` writes says so too", () => {
        const file = write("encryptionsalt: v1:abc:def\n");
        expect(() => readStackFile(file, "platform")).toThrow(`${file} has no config: section; stack settings go under a top-level config: key`);
    });
});
