import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * Each layer may import only the layers below it (see README "Layers"):
 * domain → store → services → graphql → app → server | sources → cli.
 * server and sources are siblings: neither imports the other; cli assembles both.
 */
const order = ["domain", "store", "services", "graphql", "app", ["server", "sources"], "cli"];
const layers = order.flatMap((level, index) =>
  [level].flat().map((folder) => ({
    folder,
    forbidden: [...order.slice(index + 1).flat(), ...[level].flat().filter((sibling) => sibling !== folder)],
  })),
);

/** A file `depth` folders below src/ reaches src/<layer> as "../" × depth + layer. */
const DEPTHS = [1, 2, 3, 4];
const filesAt = (folder, depth) => [`src/${folder}/${"*/".repeat(depth - 1)}*.{ts,js}`];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".cassandra/", "coverage/", ".scratch/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always"],
    },
  },
  { files: ["src/server/routes/graphiql/**/*.{js,ts,tsx}"], languageOptions: { globals: globals.browser } },
  ...layers.flatMap(({ folder, forbidden }) =>
    DEPTHS.map((depth) => ({
      files: filesAt(folder, depth),
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: forbidden.map((layer) => ({
              group: [`${"../".repeat(depth)}${layer}/**`],
              message: `src/${folder} must not import src/${layer}: imports point downward only (README "Layers").`,
            })),
          },
        ],
      },
    })),
  ),
);
