/**
 * A module as a new process would find it, without starting one: a fresh instance (its memory empty, as plan/charts/
 * helm.ts's lookup or plan/charts/render.ts's renders), used while `env` is set, the environment put back afterwards
 * (a value of undefined unsets a variable). For tests of what a later run finds on disk.
 */
export function asNewProcess<M, T>(modulePath: string, env: Readonly<Record<string, string | undefined>>, use: (module: M) => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const set = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  set(env);
  try {
    delete require.cache[modulePath];
    return use(require(modulePath) as M);
  } finally {
    set(saved);
  }
}
