/**
 * Docker's image reference grammar (github.com/distribution/reference): `[host[:port]/]path[:tag][@digest]`,
 * path components lower-case. A name outside it reaches the Engine API as a URL path and fails there
 * (`ERR_UNESCAPED_CHARACTERS`, or a 400), so it is refused when read.
 */
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const NAME = `(?:${HOST}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
/** The grammar's limit on the name (host and path) part. */
const NAME_MAX_LENGTH = 255;

export function isImageReference(text: string): boolean {
  const match = REFERENCE.exec(text);
  return match !== null && match[1]!.length <= NAME_MAX_LENGTH;
}
