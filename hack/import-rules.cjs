// The import rules of the project, checked by dependency-cruiser in `npm test` (test/architecture/)
// and by `npm run lint:imports`. They keep the architecture visible:
//   api <- render <- controller <- cli, the generic runtime apart (it knows no WebApp), kube the thin
//   client layer, and the embedded cluster a package of its own that only the development commands
//   load, on demand.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make the layers meaningless.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "api-is-the-base",
      severity: "error",
      comment: "src/api (the WebApp schema and the object shapes) depends on nothing else of ours.",
      from: { path: "^src/api/" },
      to: { path: "^src/(?!api/)" },
    },
    {
      name: "render-is-pure",
      severity: "error",
      comment: "The renderer knows nothing of the API server, the controller or I/O: only src/api.",
      from: { path: "^src/render/" },
      to: {
        path: ["^src/(?!(api|render)/)", "^(node:)?(fs|fs/promises|http|https|net|child_process|dgram)$"],
      },
    },
    {
      name: "controller-below-cli",
      severity: "error",
      comment: "The WebApp controller never reaches up into the command line or the embedded cluster.",
      from: { path: "^src/controller/" },
      to: { path: "^src/(cli|devcluster)/" },
    },
    {
      name: "runtime-is-generic",
      severity: "error",
      comment: "The controller runtime knows no WebApp: only the object shapes and the client layer.",
      from: { path: "^src/runtime/" },
      to: { path: ["^src/(render|controller|cli|devcluster)/", "^src/api/(?!kube-object\\.ts$)"] },
    },
    {
      name: "kube-is-the-client",
      severity: "error",
      comment: "src/kube wraps @kubernetes/client-node and nothing of ours but the object shapes.",
      from: { path: "^src/kube/" },
      to: { path: ["^src/(render|controller|runtime|cli|devcluster)/", "^src/api/(?!kube-object\\.ts$)"] },
    },
    {
      name: "devcluster-is-its-own-package",
      severity: "error",
      comment: "The embedded cluster imports nothing from the operator.",
      from: { path: "^src/devcluster/" },
      to: { path: ["^src/(?!devcluster/)", "^(hack|test)/"] },
    },
    {
      name: "devcluster-only-for-dev-commands",
      severity: "error",
      comment: "Only src/cli/dev loads the embedded cluster (and only on demand), so `run` never does.",
      from: { path: "^src/(?!devcluster/|cli/dev/)" },
      to: { path: "^src/devcluster/" },
    },
    {
      name: "devcluster-loaded-on-demand",
      severity: "error",
      comment: "src/cli/dev reaches the embedded cluster through a dynamic import (or types) only.",
      from: { path: "^src/cli/dev/" },
      to: { path: "^src/devcluster/", dynamic: false, dependencyTypesNot: ["type-only", "type-import"] },
    },
    {
      name: "src-stands-alone",
      severity: "error",
      comment: "Nothing in src imports from hack/ or test/.",
      from: { path: "^src/" },
      to: { path: "^(hack|test)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/|^dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    parser: "swc",
  },
};
