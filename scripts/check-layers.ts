/**
 * The layering check: dependency-cruiser with the rules of .dependency-cruiser.cjs (which folder
 * may import which, no import cycle, type-only imports included), over every TypeScript folder.
 * Prints the violations, then the import cycles as strongly connected components (the "circles"
 * a person would draw: one line per group of files that reach each other), and exits 1 when any
 * rule is broken. Run by `./recinto lint` and `npm run lint:layers`.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ICruiseResult, IViolation } from 'dependency-cruiser';
import { PROJECT_ROOT } from '../server/config/load.ts';

export const LAYER_ROOTS = ['protocol', 'server', 'client', 'test', 'bench', 'scripts', 'vitest.config.ts'];

/** The groups of modules that import each other in a circle (Tarjan's strongly connected components). */
export function importCycles(result: ICruiseResult): string[][] {
  const edges = new Map<string, string[]>();
  for (const module of result.modules) {
    if (module.coreModule || module.followable === false) continue;
    edges.set(
      module.source,
      module.dependencies.filter((d) => !d.coreModule && !d.couldNotResolve).map((d) => d.resolved),
    );
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (edges.get(v) ?? []).includes(v)) groups.push(group.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!));
}

/** One line per violation: `error rule: from → to`, a cycle with its whole path; `(type-only)` marks a module imported only for its types. */
function describe(v: IViolation): string {
  const typeOnly = (types: readonly string[] | undefined): string => (types?.includes('type-only') ? ' (type-only)' : '');
  const path = v.cycle
    ? [v.from, ...v.cycle.map((step) => `${step.name}${typeOnly(step.dependencyTypes)}`)]
    : [v.from, `${v.to}${typeOnly(v.dependencyTypes)}`];
  return `  ${v.rule.severity} ${v.rule.name}: ${path.join(' → ')}`;
}

function main(): void {
  const cli = join(PROJECT_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
  const json = execFileSync(process.execPath, [cli, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', '--no-progress', ...LAYER_ROOTS], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const result = JSON.parse(json) as ICruiseResult;
  for (const violation of result.summary.violations) console.log(describe(violation));
  const cycles = importCycles(result);
  if (cycles.length > 0) {
    console.log(`\nimport cycles: ${cycles.length} (${cycles.map((c) => `${c.length} files`).join(', ')})`);
    for (const cycle of cycles) console.log(`  ${cycle.join(' ')}`);
  }
  const { error, warn, totalCruised, totalDependenciesCruised } = result.summary;
  console.log(`layers: ${error} errors, ${warn} warnings, ${cycles.length} import cycles ` + `(${totalCruised} modules, ${totalDependenciesCruised} imports)`);
  if (error > 0 || warn > 0) process.exitCode = 1;
}

if (import.meta.main) main();
