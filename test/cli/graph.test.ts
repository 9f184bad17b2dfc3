import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lab } from '../helpers/cli.js';

// No engine: a scenario name or file is drawn from the scenario itself.
const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

describe('lab graph without Docker', () => {
  // One test per format: a CLI run takes 5-8 s on a one-CPU guest.
  it.each([['nat.svg', '<?xml'], ['nat.html', '<!DOCTYPE html>'], ['nat.md', '# nat'], ['nat.mmd', 'flowchart LR']])(
    'writes each format by the file\'s extension: %s', async (file, start) => {
      const dir = mkdtempSync(join(tmpdir(), 'lab-graph-'));
      const r = await lab(['graph', 'nat', '-o', join(dir, file)], { env: NO_DOCKER });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('from the built-in scenario nat');
      expect(readFileSync(join(dir, file), 'utf8').startsWith(start)).toBe(true);
    },
  );
  it('prints Mermaid on stdout without -o, and reads a scenario file', async () => {
    const r = await lab(['graph', 'scenarios/wrr.yaml'], { env: NO_DOCKER });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^flowchart LR\n/);
    expect(r.stdout).toContain('DR (-g), weight 2, :80');
  });
  it('--json: one document with the topology', async () => {
    const r = await lab(['graph', 'tun', '--json'], { env: NO_DOCKER });
    const doc = JSON.parse(r.stdout);
    expect([doc.schema, doc.ok, doc.format, doc.file]).toEqual(['lvs-lab/graph@1', true, 'mermaid', null]);
    expect(doc.graph.nodes.map((n: { name: string }) => n.name)).toEqual(['client', 'lvs', 'rs1', 'rs2']);
  });
  it('an unknown extension is a usage error (2) with a fix', async () => {
    const r = await lab(['graph', 'nat', '-o', 'nat.png'], { env: NO_DOCKER });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/fix: End the file name with one of \.svg/);
  });
  it('no lab named and no engine: environment missing (3), with a fix naming a scenario', async () => {
    const r = await lab(['graph'], { env: NO_DOCKER });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('fix: Name a scenario to draw it without Docker');
  });
  it('an unknown scenario is a usage error (2)', async () => {
    const r = await lab(['graph', 'nope'], { env: NO_DOCKER });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('fix: Built-in scenarios:');
  });
});
