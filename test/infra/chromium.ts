// Real headless Chromium (the Debian package, test/infra/chromium/install.sh) driven
// over the DevTools protocol with `ws`: open a page, evaluate in it, wait for what it
// renders, take screenshots. One browser per test file; each gets its own profile.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startManagedProcess, type ManagedProcess } from './managed-process.ts';
import { serverBinary } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

interface CdpReply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class ChromiumPage {
  private readonly socket: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: WebSocket.RawData) => {
      const reply = JSON.parse(data.toString()) as CdpReply;
      const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id!);
      if (reply.error) waiter.reject(new Error(reply.error.message));
      else waiter.resolve(reply.result ?? {});
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async navigate(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
  }

  /** The value of `expression` (awaited when a promise), evaluated in the page. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    const details = reply.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
    if (details) throw new Error(`in the page: ${details.exception?.description ?? details.text}`);
    return (reply.result as { value: T }).value;
  }

  /** document.body.innerText once `accept` takes it. */
  async waitForText(accept: (text: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
    let last = '';
    try {
      return await waitUntil(async () => {
        last = await this.evaluate<string>('document.body ? document.body.innerText : ""');
        return accept(last) ? last : undefined;
      }, { what, timeoutMs, intervalMs: 200 });
    } catch (error) {
      throw new Error(`${(error as Error).message}; the page showed:\n${last}`, { cause: error });
    }
  }

  /** A PNG of the whole page, written to `file`. */
  async screenshot(file: string): Promise<string> {
    const reply = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    await writeFile(file, Buffer.from(reply.data as string, 'base64'));
    return file;
  }

  close(): void {
    this.socket.close();
  }
}

export interface Chromium {
  process: ManagedProcess;
  /** A new tab of `width` x `height` CSS pixels. */
  newPage(width?: number, height?: number): Promise<ChromiumPage>;
  stop(): Promise<void>;
}

export async function startChromium(dir: string): Promise<Chromium> {
  const profile = await mkdtemp(path.join(dir, 'chromium-profile-'));
  const process = startManagedProcess('chromium', serverBinary('chromium'), [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank',
  ], { logFile: path.join(dir, 'chromium.log'), env: { ...globalThis.process.env, HOME: profile } });
  // Chromium writes the port it picked to <profile>/DevToolsActivePort.
  const port = await waitUntil(async () => {
    const text = await readFile(path.join(profile, 'DevToolsActivePort'), 'utf8');
    const value = Number(text.split('\n')[0]);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  }, { what: 'chromium to open its DevTools port', timeoutMs: 30_000, abortIf: () => process.exitedError() });
  return {
    process,
    async newPage(width = 1280, height = 900) {
      const target = (await (await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: 'PUT' })).json()) as { webSocketDebuggerUrl: string };
      const socket = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const page = new ChromiumPage(socket);
      await page.send('Page.enable');
      await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      return page;
    },
    stop: () => process.stop(5_000),
  };
}

/** A directory for a test's screenshots and browser logs. */
export const screenshotDir = (prefix: string) => mkdtemp(path.join(os.tmpdir(), prefix));
