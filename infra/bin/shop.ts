// The CDK app: `npx cdk synth` (or `deploy`) from infra/.
//
// SHOP_SKIP_BUNDLING=1 synthesizes without building the functions (what CI's comparison with
// template.yaml needs); a deploy builds each with cargo-lambda, release, arm64.

import { App } from "aws-cdk-lib";

import { ShopStack } from "../lib/shop-stack";

const app = new App();
if (process.env.SHOP_SKIP_BUNDLING) {
  // Overrides the CLI's own setting, which asks for every stack to be bundled.
  app.node.setContext("aws:cdk:bundling-stacks", []);
}
new ShopStack(app, "ServerlessShop", {
  description: "A serverless shop in Rust: every HTTP route is its own Lambda function.",
});
