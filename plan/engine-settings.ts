/**
 * Process settings for the offline plan, applied first by plan/cli.ts (applyPlanSettings, before any Pulumi module
 * loads). They change nothing the plan records, only what it costs (see docs/performance.md):
 *
 * - Source maps off: tsx turns Node's source-map support on, and then every `new Error().stack` is mapped back to
 *   TypeScript. @pulumi/pulumi 3.248.0 takes a stack per resource (resource.js Resource.callsites, for the
 *   RegisterResourceRequest's sourcePosition, which the plan does not record) and one per promise
 *   (runtime/debuggable.js debuggablePromise, for leak reports). Mapping them was about a third of a 100-node plan.
 * - Error.stackTraceLimit 0: the per-promise stacks are never read on a successful run; capturing them cost a
 *   further tenth of the time and 35 MB. Resource.callsites sets its own limit, so sourcePosition is unchanged.
 *
 * PLAN_STACK_TRACES=1 keeps both, for a plan that fails with an error whose stack you need.
 */

/**
 * Modules @pulumi/pulumi 3.248.0 and @pulumi/kubernetes 4.34.2 load eagerly and the program never uses: for closure
 * serialization (runtime/closure: `typescript` through typescript-shim.js, `@npmcli/arborist` and
 * `normalize-package-data` in codePaths.js), a third of the time before the first resource; the Automation API
 * (index.js: `require("./automation")`, only required there), with its workspace, its gRPC services and their
 * protobuf descriptors; and `glob` for yaml.ConfigFile's file patterns (yaml/yaml.js; the program gives yaml/v2
 * ConfigGroups their objects). They load on first use instead. All are reached as `ns.member` after __importStar or
 * __importDefault, which return a module that says `__esModule` as it is, so a proxy that loads on first other
 * access is enough.
 */
const LAZY: Readonly<Record<string, RegExp>> = {
  typescript: /[/\\]@pulumi[/\\]pulumi[/\\]typescript-shim\.js$/,
  "@npmcli/arborist": /[/\\]@pulumi[/\\]pulumi[/\\]runtime[/\\]closure[/\\]codePaths\.js$/,
  "./automation": /[/\\]@pulumi[/\\]pulumi[/\\]index\.js$/,
  "normalize-package-data": /[/\\]@pulumi[/\\]pulumi[/\\]runtime[/\\]closure[/\\]codePaths\.js$/,
  glob: /[/\\]@pulumi[/\\]kubernetes[/\\]yaml[/\\]yaml\.js$/,
};

export function lazyModule(load: () => any): unknown {
  let real: any;
  const get = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, prop) => {
        if (prop === "__esModule") return true;
        const mod = get();
        if (prop === "default" && !(mod && mod.__esModule)) return mod;
        return mod[prop];
      },
      has: (_, prop) => prop in get(),
      ownKeys: () => Reflect.ownKeys(get()),
      getOwnPropertyDescriptor: (_, prop) => {
        const d = Reflect.getOwnPropertyDescriptor(get(), prop);
        return d ? { ...d, configurable: true } : undefined;
      },
    },
  );
}

/**
 * Applies both to this process, for good: only a process that plans and exits (plan/cli.ts) calls it. Importing this
 * file changes nothing, so a test process that shares its modules with other tests keeps its stack traces.
 */
export function applyPlanSettings(): void {
  if (!process.env.PLAN_STACK_TRACES) {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
  }
  if (!process.env.PLAN_EAGER_MODULES) lazyModules();
}

function lazyModules(): void {
  const Module = require("node:module") as { _load: (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown };
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const from = LAZY[request];
    if (from && parent?.filename && from.test(parent.filename)) {
      return lazyModule(() => load.call(this, request, parent, isMain));
    }
    return load.call(this, request, parent, isMain);
  };
}
