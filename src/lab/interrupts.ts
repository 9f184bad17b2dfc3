import { ExitCode } from '../errors.js';

/**
 * SIGINT (Ctrl-C) and SIGTERM, caught from now on: Node's default would exit at once and leave behind what
 * a run made. `signal` settles with the first; later ones are ignored while the run cleans up (each engine
 * call of the cleanup is bounded, so that ends). `release` restores the default.
 */
export function catchInterrupts(): { signal: Promise<NodeJS.Signals>; release: () => void } {
  let caught: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => (caught = resolve));
  // One handler per signal, naming it: a `process.emit('SIGINT')` passes no name.
  const onInt = () => caught('SIGINT');
  const onTerm = () => caught('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal,
    release: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** The exit code of a run a signal ended: 130 for SIGINT (Ctrl-C), 143 for SIGTERM, as a shell reports them. */
export const signalExitCode = (signal: NodeJS.Signals) =>
  signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
