import * as pulumi from "@pulumi/pulumi";
import { resourceOptsDefaults } from "./utilities";

/** `talos.imagefactory.*`. Same names and argument shapes as the upstream SDK. */

export interface SchematicArgs {
    /** Schematic YAML (extensions, kernel args); empty means the vanilla schematic. */
    schematic?: pulumi.Input<string>;
}

/** Registers a schematic with the Image Factory. Its `id` is the content-addressed schematic id. */
export class Schematic extends pulumi.CustomResource {
    public static readonly __pulumiType = "talos:imageFactory/schematic:Schematic";
    declare public readonly schematic: pulumi.Output<string | undefined>;

    constructor(name: string, args?: SchematicArgs, opts?: pulumi.CustomResourceOptions) {
        const inputs: pulumi.Inputs = { schematic: args?.schematic };
        opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
        super(Schematic.__pulumiType, name, inputs, opts);
    }
}
