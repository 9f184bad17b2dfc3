import { describe, expect, it } from 'vitest';
import { lab } from '../helpers/cli.js';

describe('lab ui without Docker', () => {
  it('no engine: environment missing (3) with a fix', async () => {
    const r = await lab(['ui', 'rr-basic', '--port', '0'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/\nfix: /);
  });
  it('a bad port is a usage error (2)', async () => {
    const r = await lab(['ui', '--port', 'http'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('fix: run `lab ui --help`');
  });
});
