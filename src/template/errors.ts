/**
 * TemplateError: every way a template can fail (parse, execution, limits),
 * with the template name, line and column when Go would report them.
 */
import { HushError } from '../util/errors.ts';

export type TemplatePhase = 'parse' | 'execute' | 'limit';

export class TemplateError extends HushError {
  readonly templateName: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly phase: TemplatePhase;
  constructor(
    message: string,
    opts: { templateName: string; phase: TemplatePhase; line?: number; column?: number; cause?: unknown },
  ) {
    // A template that does not parse, or outgrows its limits, fails the same
    // way until the spec changes (InvalidSpec, terminal). Execution errors
    // often depend on the data (a key the store has not got yet), so they are
    // InvalidData, which is retried.
    super(opts.phase === 'execute' ? 'InvalidData' : 'InvalidSpec', message, { cause: opts.cause });
    this.name = 'TemplateError';
    this.templateName = opts.templateName;
    this.phase = opts.phase;
    this.line = opts.line;
    this.column = opts.column;
  }
}
