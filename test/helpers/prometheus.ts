/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
 * sample belongs to a family declared by `# HELP` (non-empty) and `# TYPE` before it, histogram
 * and counter samples have the suffixes their type allows, names and labels are well formed and
 * every value is a number. Anything else throws, naming the line.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<Family['type'], readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`;
      if (line === '') return;
      const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (comment) {
        const [, kind, name, rest] = comment as unknown as [string, string, string, string];
        if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
        if (kind === 'HELP') {
          if (!rest.trim()) throw new Error(`${where}: empty HELP`);
          help.set(name, rest);
          return;
        }
        if (!(rest in SUFFIXES)) throw new Error(`${where}: unknown type`);
        if (families.has(name)) throw new Error(`${where}: TYPE declared twice`);
        if (!help.has(name)) throw new Error(`${where}: TYPE before HELP`);
        families.set(name, { name, help: help.get(name)!, type: rest as Family['type'], samples: [] });
        return;
      }
      if (line.startsWith('#')) return;
      const sample = parseSample(line, where);
      const family = [...families.values()].find((f) => SUFFIXES[f.type].some((suffix) => f.name + suffix === sample.name));
      if (!family) throw new Error(`${where}: sample of no declared family`);
      family.samples.push(sample);
    });
  return families;
}

function parseSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (!match) throw new Error(`${where}: not a sample`);
  const [, name, , body, raw] = match as unknown as [string, string, string | undefined, string | undefined, string];
  const labels: Record<string, string> = {};
  let rest = body ?? '';
  while (rest) {
    const label = /^([^=]+)="((?:[^"\\]|\\.)*)",?/.exec(rest);
    if (!label || !LABEL_NAME.test(label[1]!)) throw new Error(`${where}: bad label`);
    if (label[1]! in labels) throw new Error(`${where}: label ${label[1]} twice`);
    labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(label[0].length);
  }
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
  if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`${where}: bad value`);
  return { name, labels, value };
}

/** The value of the one sample named `name` whose labels include `labels`; throws if not exactly one. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const found = [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}

/** The sum of every sample named `name` (e.g. a histogram's `_count` over all its labels). */
export function total(families: Map<string, Family>, name: string): number {
  return [...families.values()].flatMap((f) => f.samples.filter((s) => s.name === name)).reduce((n, s) => n + s.value, 0);
}
