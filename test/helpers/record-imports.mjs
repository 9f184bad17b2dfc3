// Loaded with `node --import`: appends every module URL the process resolves to $LAB_IMPORTS_LOG, one a line.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.LAB_IMPORTS_LOG, result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
