import { describe, expect, it } from 'vitest';
import { isImageReference } from '../../src/scenario/image-reference.js';

const DIGEST = `sha256:${'ab12'.repeat(16)}`;

describe('Docker image references', () => {
  it.each([
    'lvs-lab/debian:bookworm',
    'centos:7',
    'debian',
    'library/debian:12.5-slim',
    'localhost:5000/team/image:tag',
    'registry.example.com/a/b/c:v1_2',
    `debian@${DIGEST}`,
    `quay.io/org/img:1.0@${DIGEST}`,
    'a__b/c.d/e--f',
    'My.Registry:443/team/img',
  ])('accepts %s', (ref) => expect(isImageReference(ref)).toBe(true));

  it.each([
    '',
    'Bad Image!',
    'Debian',
    'debian:',
    'debian:12:slim',
    ':latest',
    'team//img',
    'img/',
    '-img',
    'img_',
    `debian:${'t'.repeat(129)}`,
    'debian@sha256:abc',
    `debian@md5:${'a'.repeat(32)}`,
    `${'a'.repeat(256)}:tag`,
    'debian:bookworm\n',
  ])('refuses %j', (ref) => expect(isImageReference(ref)).toBe(false));
});
