/**
 * SIGINT (Ctrl-C) and SIGTERM, caught from now on: Node's default would exit at once and leave behind what
 * `up` made. `signal` settles with the first; later ones are ignored while the run cleans up (each engine
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
