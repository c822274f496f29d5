import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// The pack the PR preview runs (`pulumi preview --policy-pack policy`); the policies are in policies.ts.
new PolicyPack("platform", { policies });
