/** Providers match `find.name.regexp` with Go RE2 semantics, unanchored; see util/goregexp.ts. */
export { compileGoRegexp } from '../../util/goregexp.ts';
