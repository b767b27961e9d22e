/**
 * A small Prometheus registry: counters and gauges with labels, rendered in
 * the text exposition format. Hush needs a handful of metrics with ESO's names
 * so existing dashboards keep working; a full client library is not needed.
 *
 * Label values are object names, namespaces, providers and outcomes — never
 * secret values or error messages.
 */
type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function keyOf(labelNames: readonly string[], labels: Labels): string {
  return labelNames.map((n) => labels[n] ?? '').join('\u0000');
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly values = new Map<string, { labels: Labels; value: number }>();
  abstract readonly type: 'counter' | 'gauge';

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected entry(labels: Labels): { labels: Labels; value: number } {
    const k = keyOf(this.labelNames, labels);
    let e = this.values.get(k);
    if (!e) {
      const clean: Labels = {};
      for (const n of this.labelNames) clean[n] = labels[n] ?? '';
      e = { labels: clean, value: 0 };
      this.values.set(k, e);
    }
    return e;
  }

  get(labels: Labels = {}): number {
    return this.values.get(keyOf(this.labelNames, labels))?.value ?? 0;
  }

  /** Drops every series whose labels include all of `match` (e.g. a deleted object's). */
  remove(match: Labels): void {
    for (const [k, e] of this.values) {
      if (Object.entries(match).every(([n, v]) => e.labels[n] === v)) this.values.delete(k);
    }
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    for (const e of this.values.values()) {
      const l = this.labelNames.map((n) => `${n}="${escapeLabel(e.labels[n] ?? '')}"`).join(',');
      out += `${this.name}${l ? `{${l}}` : ''} ${e.value}\n`;
    }
    return out;
  }
}

export class Counter extends Metric {
  readonly type = 'counter' as const;
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels).value += by;
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge' as const;
  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels).value += by;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }
  private register<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }
}
