/**
 * SIGINT (Ctrl-C) and SIGTERM, caught from now on: Node's default would exit at once and leave behind what
 * `up` made. `signal` settles with the first; later ones are ignored while the run cleans up (each engine
 * call of the cleanup is bounded, so that ends). `release` restores the default.
 */
export function catchInterrupts(): { signal: Promise<NodeJS.Signals>; release: () => void } {
  let caught: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => (caught = resolve));
  const onSignal = (received: NodeJS.Signals) => caught(received);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
