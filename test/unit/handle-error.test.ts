import { CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleError } from '../../src/cli/handle-error.js';
import { environmentError, usageError } from '../../src/errors.js';

/** What handleError writes on stdout and stderr, and the exit code it returns. */
function run(err: unknown, json: boolean, commandPath = ['up']) {
  const out: string[] = [];
  const errOut: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (errOut.push(String(s)), true));
  const exitCode = handleError(err, { json, commandPath });
  vi.restoreAllMocks();
  return { exitCode, stdout: out.join(''), stderr: errOut.join('') };
}

afterEach(() => vi.restoreAllMocks());

describe('handleError', () => {
  it('an unexpected error: exit 1, a fix, no stack trace, and with --json still one document', () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'id')");
    const text = run(err, false);
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toBe("error: unexpected: Cannot read properties of undefined (reading 'id')\nfix: This is a bug in lab: please report it with the command you ran.\n");
    const json = run(err, true);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({
      schema: 'lvs-lab/up@1',
      ok: false,
      error: { message: expect.stringContaining('unexpected'), details: [], hint: expect.stringContaining('bug'), exitCode: 1 },
    });
  });

  it('a usage error without its own fix gets the command\'s --help; one with a fix keeps it', () => {
    expect(run(usageError('Give a lab or --all, not both.'), false, ['teardown']).stderr).toBe('error: Give a lab or --all, not both.\nfix: run `lab teardown --help`\n');
    expect(run(environmentError('No Docker.', 'Start Docker.'), false).stderr).toBe('error: No Docker.\nfix: Start Docker.\n');
    expect(run(environmentError('No Docker.', 'Start Docker.'), false).exitCode).toBe(3);
  });

  it('commander\'s errors: its message, its suggestion as a detail, exit 2; --help and --version exit 0 silently', () => {
    const unknown = new CommanderError(1, 'commander.unknownCommand', "error: unknown command 'verfy'\n(Did you mean verify?)");
    expect(run(unknown, false, [])).toEqual({ exitCode: 2, stdout: '', stderr: "error: unknown command 'verfy'\n  (Did you mean verify?)\nfix: run `lab --help`\n" });
    expect(run(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), true)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });
});
