/**
 * Reading a provider block from a manifest. Specs arrive as untyped JSON; these
 * helpers read fields with their JSON paths so every problem is reported as a
 * Diagnostic naming the exact field (`spec.provider.vault.auth.appRole.secretRef.name`).
 */
import type { Diagnostic } from '../types.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** ESO's SecretKeySelector. */
export interface SecretKeyRef {
  name: string;
  key: string;
  namespace?: string | undefined;
}

/** ESO's ServiceAccountSelector. */
export interface ServiceAccountRef {
  name: string;
  namespace?: string | undefined;
  audiences?: string[] | undefined;
}

export class Fields {
  readonly path: string;
  readonly obj: Obj;
  readonly diags: Diagnostic[];

  constructor(diags: Diagnostic[], path: string, obj: Obj) {
    this.diags = diags;
    this.path = path;
    this.obj = obj;
  }

  /** The reader for a whole block; a diagnostic and undefined if it is not an object. */
  static of(diags: Diagnostic[], path: string, value: unknown): Fields | undefined {
    if (!isObj(value)) {
      diags.push({ field: path, message: 'must be an object' });
      return undefined;
    }
    return new Fields(diags, path, value);
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  problem(key: string, message: string): void {
    this.diags.push({ field: key === '' ? this.path : this.at(key), message });
  }

  child(key: string, required = false): Fields | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.problem(key, 'is required');
      return undefined;
    }
    return Fields.of(this.diags, this.at(key), v);
  }

  str(key: string, opts: { required?: boolean; oneOf?: readonly string[]; nonEmpty?: boolean } = {}): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (opts.required) this.problem(key, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.problem(key, 'must be a string');
      return undefined;
    }
    if ((opts.required || opts.nonEmpty) && v === '') {
      this.problem(key, 'must not be empty');
      return undefined;
    }
    if (opts.oneOf && !opts.oneOf.includes(v)) {
      this.problem(key, `must be one of ${opts.oneOf.join(', ')}`);
      return undefined;
    }
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.problem(key, 'must be true or false');
      return undefined;
    }
    return v;
  }

  int(key: string, min?: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || (min !== undefined && v < min)) {
      this.problem(key, min === undefined ? 'must be an integer' : `must be an integer of at least ${min}`);
      return undefined;
    }
    return v;
  }

  strList(key: string): string[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.problem(key, 'must be a list of strings');
      return undefined;
    }
    return v as string[];
  }

  strMap(key: string): Record<string, string> | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      this.problem(key, 'must be a map of strings');
      return undefined;
    }
    return v as Record<string, string>;
  }

  /** A SecretKeySelector; `defaultKey` fills an empty key (ESO does so for a few refs). */
  secretRef(key: string, opts: { required?: boolean; defaultKey?: string } = {}): SecretKeyRef | undefined {
    const f = this.child(key, opts.required);
    if (!f) return undefined;
    const name = f.str('name', { required: true });
    const k = f.str('key') || opts.defaultKey;
    if (k === undefined || k === '') f.problem('key', 'is required');
    const namespace = f.str('namespace') || undefined;
    if (name === undefined || !k) return undefined;
    return { name, key: k, namespace };
  }

  serviceAccountRef(key: string, required = false): ServiceAccountRef | undefined {
    const f = this.child(key, required);
    if (!f) return undefined;
    const name = f.str('name', { required: true });
    const namespace = f.str('namespace') || undefined;
    const audiences = f.strList('audiences');
    if (name === undefined) return undefined;
    return { name, namespace, audiences };
  }
}
