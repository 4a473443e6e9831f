// ESLint's rules for every JavaScript and TypeScript file we ship: the storefront (browser
// modules), the browser tests (Node) and the CDK app (TypeScript). scripts/lint runs it from the
// repository's root, which the file patterns below are relative to.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "infra/cdk.out/**"] },
  {
    files: ["web/**/*.js"],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: "module", globals: globals.browser },
    rules: {
      eqeqeq: "error",
      "no-var": "error",
      "prefer-const": "error",
      // The storefront never builds markup from strings: data only ever becomes text nodes.
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Build elements with h(); data must only become text." },
        { property: "outerHTML", message: "Build elements with h(); data must only become text." },
        { object: "document", property: "write", message: "Build elements with h()." },
      ],
    },
  },
  {
    files: ["tests/browser/**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: "module", globals: { ...globals.node, ...globals.browser } },
    rules: { eqeqeq: "error", "prefer-const": "error" },
  },
  {
    files: ["infra/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: { eqeqeq: "error", "prefer-const": "error" },
  },
);
