import { findLab } from '../lab/find.js';
import { DockerRuntime } from '../runtime/docker.js';
import { environmentError } from '../errors.js';
import { dockerLabActions } from './actions.js';
import { livePage } from './page.js';
import { startUiServer, UI_HOST, type UiServer } from './server.js';

/** `lab ui`: serve the live page of a running lab on loopback; the caller closes it (on Ctrl-C). */
export async function serveLabUi(ref: string | undefined, port: number): Promise<{ lab: string; server: UiServer }> {
  const runtime = await DockerRuntime.connect();
  const lab = await findLab(runtime, ref);
  try {
    return { lab: lab.name, server: await startUiServer(livePage(lab.scenario), dockerLabActions(runtime, lab), port) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw environmentError(`Port ${port} on ${UI_HOST} is taken.`, 'Choose another with `--port N`, or `--port 0` for any free one.');
    throw err;
  }
}
