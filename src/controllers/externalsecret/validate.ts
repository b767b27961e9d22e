/**
 * Semantic checks of an ExternalSecret that the CRD schema cannot express.
 * ESO runs these in its validating webhook; Hush runs them in the reconciler
 * (and in `hush lint` later), and reports the first problem as Ready=False
 * with the field path and the fix, before any provider is called. Whether the
 * templates parse is checked next, in the sandbox (checkTemplateSyntax in template.ts).
 */
import { InvalidSpecError, NotSupportedError, type HushError } from '../../util/errors.ts';
import { parseGoDuration } from '../../util/duration.ts';
import { validateTemplate } from './template.ts';
import { creationPolicyOf, deletionPolicyOf, type ExternalSecretSpec } from './spec.ts';

export function validateExternalSecret(spec: ExternalSecretSpec): HushError | undefined {
  const data = spec.data ?? [];
  const dataFrom = spec.dataFrom ?? [];
  if (data.length === 0 && dataFrom.length === 0) {
    return new InvalidSpecError('spec: either spec.data or spec.dataFrom must be set');
  }
  const creation = creationPolicyOf(spec);
  const deletion = deletionPolicyOf(spec);
  if (deletion === 'Delete' && (creation === 'Merge' || creation === 'None' || creation === 'CreateOrMerge')) {
    return new InvalidSpecError(
      `spec.target.deletionPolicy: Delete requires creationPolicy Owner or Orphan (it is ${creation}); Hush does not delete a Secret it did not create`,
    );
  }
  if (deletion === 'Merge' && creation === 'None') {
    return new InvalidSpecError('spec.target.deletionPolicy: Merge cannot be used with creationPolicy None');
  }
  if (spec.refreshInterval !== undefined) {
    try {
      parseGoDuration(spec.refreshInterval, 'spec.refreshInterval');
    } catch (err) {
      return err as HushError;
    }
  }
  if (deletion === 'Retain') {
    const seen = new Set<string>();
    for (const [i, item] of data.entries()) {
      if (seen.has(item.secretKey)) {
        return new InvalidSpecError(`spec.data[${i}].secretKey: duplicate key "${item.secretKey}"; each secretKey may appear once`);
      }
      seen.add(item.secretKey);
    }
  }
  for (const [i, item] of data.entries()) {
    if (item.sourceRef?.generatorRef) {
      return new NotSupportedError(`spec.data[${i}].sourceRef.generatorRef: generators are not supported yet`);
    }
  }
  for (const [i, item] of dataFrom.entries()) {
    const at = `spec.dataFrom[${i}]`;
    const sources = [item.extract, item.find, item.sourceRef?.generatorRef].filter((x) => x !== undefined).length;
    if (sources === 0) return new InvalidSpecError(`${at}: set one of extract, find or sourceRef.generatorRef`);
    if (sources > 1) return new InvalidSpecError(`${at}: extract, find and sourceRef.generatorRef are mutually exclusive; set only one`);
    if (item.sourceRef?.generatorRef) return new NotSupportedError(`${at}.sourceRef.generatorRef: generators are not supported yet`);
    for (const [j, rw] of (item.rewrite ?? []).entries()) {
      const kinds = [rw.regexp, rw.transform, rw.merge].filter((x) => x !== undefined).length;
      if (kinds !== 1) return new InvalidSpecError(`${at}.rewrite[${j}]: set exactly one of regexp, transform or merge`);
      if (rw.merge) return new NotSupportedError(`${at}.rewrite[${j}].merge: merge rewrites are not supported yet`);
    }
  }
  const templateProblem = validateTemplate(spec.target?.template);
  if (templateProblem) return templateProblem;
  if (spec.target?.manifest !== undefined) {
    return new NotSupportedError('spec.target.manifest: non-Secret targets are not supported yet');
  }
  if (spec.syncWindows !== undefined) {
    return new NotSupportedError('spec.syncWindows: sync windows are not supported yet');
  }
  return undefined;
}
