import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Each layer may import only the layers below it (see README "Layers"). */
const layers = [
  { folder: "domain", forbidden: ["store", "services", "graphql", "server", "sources", "cli"] },
  { folder: "store", forbidden: ["services", "graphql", "server", "sources", "cli"] },
  { folder: "services", forbidden: ["graphql", "server", "sources", "cli"] },
  { folder: "graphql", forbidden: ["server", "sources", "cli"] },
  { folder: "sources", forbidden: ["graphql", "server", "cli"] },
  { folder: "server", forbidden: ["cli"] },
];

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
  ...layers.map(({ folder, forbidden }) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: forbidden.map((layer) => ({
            group: [`**/${layer}/*`, `../${layer}`, `../../${layer}`],
            message: `src/${folder} must not import src/${layer}: imports point downward only.`,
          })),
        },
      ],
    },
  })),
);
