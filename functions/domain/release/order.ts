/**
 * Dependency order between services (`dependsOn` in the config): a service deploys after every service it
 * depends on, and services that do not depend on each other deploy together.
 */
export interface ServiceDependencies {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/**
 * The first cycle among the services' dependencies, as the path that closes it (`["api", "worker", "api"]`:
 * api depends on worker, which depends on api), or undefined. Dependencies on unknown services are ignored
 * here (the config reports them on their own). Services are visited in their order, so the cycle reported is
 * the same every time.
 */
export function dependencyCycle(services: readonly ServiceDependencies[]): string[] | undefined {
  const dependsOn = new Map(services.map((service) => [service.name, service.dependsOn]));
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const open = path.indexOf(name);
    if (open >= 0) return [...path.slice(open), name];
    if (done.has(name) || !dependsOn.has(name)) return undefined;
    path.push(name);
    for (const dependency of dependsOn.get(name) ?? []) {
      const cycle = visit(dependency);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    done.add(name);
    return undefined;
  };
  for (const service of services) {
    const cycle = visit(service.name);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/**
 * The release's services as groups in deployment order: every service of a group depends only on services
 * of earlier groups, and is in the earliest group it can be (so independent services deploy together).
 * Only dependencies among `releasing` order them: a service outside the release runs its live version already.
 * Names within a group are sorted, so the order is the same for the same release. Throws on a cycle, which a
 * parsed config cannot have.
 */
export function deploymentGroups(
  services: readonly ServiceDependencies[],
  releasing: readonly string[],
): string[][] {
  const inRelease = new Set(releasing);
  const dependsOn = new Map(
    services
      .filter((service) => inRelease.has(service.name))
      .map((service) => [service.name, service.dependsOn.filter((name) => inRelease.has(name))]),
  );
  const unknown = releasing.filter((name) => !dependsOn.has(name));
  if (unknown.length > 0) throw new Error(`no service named ${unknown.join(", ")} in the config`);
  const groups: string[][] = [];
  const placed = new Set<string>();
  while (placed.size < dependsOn.size) {
    const group = [...dependsOn]
      .filter(([name, needs]) => !placed.has(name) && needs.every((need) => placed.has(need)))
      .map(([name]) => name)
      .sort();
    if (group.length === 0) {
      throw new Error(
        `the services ${[...dependsOn.keys()].filter((name) => !placed.has(name)).join(", ")} depend on each other in a cycle`,
      );
    }
    for (const name of group) placed.add(name);
    groups.push(group);
  }
  return groups;
}

/** The order a release's deployed services roll back in: the reverse of their deployment order. */
export function rollbackOrder(
  groups: readonly (readonly string[])[],
  deployed: ReadonlySet<string>,
): string[] {
  return groups
    .flat()
    .filter((name) => deployed.has(name))
    .reverse();
}
