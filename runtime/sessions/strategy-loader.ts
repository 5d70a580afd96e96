// Resolves a session's `src` to SCXML text under the strategy-source policy, and compiles
// each document once (bounded LRU). The policy (src is untrusted: it comes from REST
// clients and from strategies' <session:start>):
//   - a named application (configured by the operator) may point anywhere;
//   - a file must be a regular file under `strategies-dir` (none without one);
//   - an http(s) URL must start with one of `src-url-prefixes` (none by default), and so
//     must every redirect it takes;
//   - a document is at most `max-document-size` bytes (files: by size; URLs: the body is
//     streamed and the fetch aborted past the cap), fetched within `fetch-timeout`.
// Error messages name the src as the client gave it, never a server path.
// A file is recompiled when its modification time changes, so editing a strategy
// takes effect for new sessions without a restart (checked at most once a second per
// file, so a burst of session starts costs no file-system calls).
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from '../http/http-error.ts';
import { StrategyCompileError, type CompiledStrategy, type StrategyEngine } from './strategy-engine.ts';

export interface StrategyLoaderOptions {
  engine: StrategyEngine;
  applications: Record<string, string>;
  strategiesDir?: string;
  cacheSize: number;
  fetchTimeoutMs: number;
  /** http(s) URL prefixes a src (and its redirects) may name; none: no URLs. */
  urlPrefixes?: readonly string[];
  /** Bytes of a document; beyond it the load fails with 400. */
  maxDocumentSize?: number;
}

export interface LoadedStrategy {
  /** Where the document came from, resolved (absolute path or URL). */
  location: string;
  compiled: CompiledStrategy;
}

const isHttpUrl = (text: string) => /^https?:\/\//i.test(text);
const maxRedirects = 5;

function badSrc(src: string, why: string, code = 'bad-src'): HttpError {
  return new HttpError(400, code, `src ${JSON.stringify(src)}: ${why}`);
}

export class StrategyLoader {
  readonly #options: StrategyLoaderOptions;
  /** location -> compiled; Map order is recency (LRU). */
  readonly #cache = new Map<string, { version: string; compiled: CompiledStrategy; checkedAt: number }>();
  static readonly recheckMs = 1000;
  /** src -> location for the srcs resolved lately (resolving is pure; it was a tenth of a session start). */
  readonly #resolved = new Map<string, string>();

  constructor(options: StrategyLoaderOptions) {
    this.#options = options;
  }

  get #maxSize(): number {
    return this.#options.maxDocumentSize ?? 1024 * 1024;
  }

  #urlAllowed(url: string): boolean {
    return (this.#options.urlPrefixes ?? []).some((prefix) => url.startsWith(prefix));
  }

  /**
   * Resolves names and relative paths under the policy above; does not touch the file
   * system or network.
   */
  resolve(src: string): string {
    const named = this.#options.applications[src];
    if (named !== undefined) {
      if (isHttpUrl(named)) return named;
      return named.startsWith('file://') ? new URL(named).pathname : path.resolve(this.#options.strategiesDir ?? process.cwd(), named);
    }
    if (isHttpUrl(src)) {
      if (!URL.canParse(src)) throw badSrc(src, 'is not a valid URL');
      const url = new URL(src).href;
      if (!this.#urlAllowed(url)) {
        throw badSrc(src, 'URLs are only accepted under the configured src-url-prefixes', 'src-not-allowed');
      }
      return url;
    }
    const dir = this.#options.strategiesDir;
    if (dir === undefined) {
      throw badSrc(src, 'no such application (files are only accepted under strategies-dir, and none is configured)');
    }
    if (src.includes('\0')) throw badSrc(src, 'is not a file name');
    let file: string;
    if (src.startsWith('file:')) {
      if (!URL.canParse(src)) throw badSrc(src, 'is not a valid file URL');
      file = new URL(src).pathname;
    } else {
      file = path.resolve(dir, src);
    }
    const inside = path.relative(path.resolve(dir), file);
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw badSrc(src, 'is outside strategies-dir', 'src-not-allowed');
    }
    return file;
  }

  #resolveRemembered(src: string): string {
    let location = this.#resolved.get(src);
    if (location === undefined) {
      location = this.resolve(src);
      // At most 256 srcs of at most 1 KB: a client sending long URLs cannot grow it.
      if (src.length <= 1024) {
        if (this.#resolved.size >= 256) this.#resolved.clear();
        this.#resolved.set(src, location);
      }
    }
    return location;
  }

  async load(src: string): Promise<LoadedStrategy> {
    const location = this.#resolveRemembered(src);
    const isUrl = isHttpUrl(location);
    const fresh = this.#cache.get(location);
    if (fresh && performance.now() - fresh.checkedAt < StrategyLoader.recheckMs) {
      return { location, compiled: fresh.compiled };
    }
    let version = 'url';
    if (!isUrl) {
      let info;
      try {
        info = await stat(location);
      } catch {
        throw badSrc(src, 'no such application or file');
      }
      if (!info.isFile()) throw badSrc(src, 'is not a file');
      if (info.size > this.#maxSize) throw badSrc(src, `the document is larger than max-document-size ${this.#maxSize}`, 'document-too-large');
      version = `${info.mtimeMs}:${info.size}`;
    }
    const cached = this.#cache.get(location);
    if (cached && cached.version === version) {
      cached.checkedAt = performance.now();
      this.#cache.delete(location);
      this.#cache.set(location, cached);
      return { location, compiled: cached.compiled };
    }
    const text = isUrl ? await this.#fetchText(src, location) : await this.#readFile(src, location);
    const includes = await this.#loadIncludes(text, location);
    let compiled: CompiledStrategy;
    try {
      compiled = this.#options.engine.compile(text, location, includes);
    } catch (error) {
      if (error instanceof StrategyCompileError) {
        throw new HttpError(400, 'invalid-document', `src ${JSON.stringify(src)}: ${error.message.replaceAll(location, src)}`);
      }
      throw error;
    }
    this.#cache.set(location, { version, compiled, checkedAt: performance.now() });
    while (this.#cache.size > this.#options.cacheSize) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    return { location, compiled };
  }

  get cachedDocuments(): number {
    return this.#cache.size;
  }

  /**
   * `<script src>` / `<data src>` of a document, resolved against the document's location
   * and then through resolve(), so the same policy (and size cap) applies as to a client's
   * src. An include never reaches a file the document itself could not be: a document
   * fetched over HTTP includes only http(s) URLs (not `file:`), and a file document's
   * includes stay inside strategies-dir, or without one inside the document's own directory.
   */
  async #loadIncludes(text: string, location: string): Promise<Map<string, string>> {
    const includes = new Map<string, string>();
    for (const src of this.#options.engine.externalSources?.(text) ?? []) {
      const refused = (why: string) => new HttpError(400, 'bad-src', `include ${JSON.stringify(src)} ${why}`);
      let target: string;
      if (isHttpUrl(location)) {
        target = new URL(src, location).href;
        if (!isHttpUrl(target)) throw refused('of a document fetched over HTTP must be an http(s) URL');
      } else if (isHttpUrl(src)) target = src;
      else {
        target = src.startsWith('file:') ? new URL(src, 'file://' + location).pathname : path.resolve(path.dirname(location), src);
        const home = this.#options.strategiesDir !== undefined ? path.resolve(this.#options.strategiesDir) : path.dirname(location);
        const inside = path.relative(home, target);
        if (inside.startsWith('..') || path.isAbsolute(inside)) throw refused(`is outside ${this.#options.strategiesDir !== undefined ? 'strategies-dir' : "the document's directory"}`);
      }
      const resolved = this.resolve(target);
      // Both read under max-document-size; their errors name the include, not a server path.
      includes.set(src, isHttpUrl(resolved) ? await this.#fetchText(src, resolved) : await this.#readFile(src, resolved));
    }
    return includes;
  }

  /** Reads at most max-document-size bytes (the file may have grown since stat). */
  async #readFile(src: string, file: string): Promise<string> {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch {
      throw badSrc(src, 'no such application or file');
    }
    try {
      const buffer = Buffer.alloc(this.#maxSize + 1);
      let size = 0;
      while (size < buffer.length) {
        const { bytesRead } = await handle.read(buffer, size, buffer.length - size, size);
        if (bytesRead === 0) break;
        size += bytesRead;
      }
      if (size > this.#maxSize) throw badSrc(src, `the document is larger than max-document-size ${this.#maxSize}`, 'document-too-large');
      return buffer.toString('utf8', 0, size);
    } finally {
      await handle.close();
    }
  }

  /**
   * GET with redirects followed by hand (each target must be under an allowed prefix),
   * the body streamed and cut off past the size cap, all within fetch-timeout.
   */
  async #fetchText(src: string, first: string): Promise<string> {
    const signal = AbortSignal.timeout(this.#options.fetchTimeoutMs);
    const failed = (error: unknown) =>
      signal.aborted
        ? badSrc(src, `fetching it took longer than fetch-timeout ${this.#options.fetchTimeoutMs} ms`)
        : badSrc(src, `fetching it failed: ${(error as Error).message}`);
    let url = first;
    for (let hop = 0; ; hop++) {
      let response: Response;
      try {
        response = await fetch(url, { signal, redirect: 'manual' });
      } catch (error) {
        throw failed(error);
      }
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        await response.body?.cancel();
        const next = URL.canParse(response.headers.get('location')!, url) ? new URL(response.headers.get('location')!, url).href : undefined;
        if (hop >= maxRedirects) throw badSrc(src, `more than ${maxRedirects} redirects`);
        if (!next || !isHttpUrl(next) || !this.#urlAllowed(next)) {
          throw badSrc(src, 'redirected to a URL outside the configured src-url-prefixes', 'src-not-allowed');
        }
        url = next;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw badSrc(src, `the server answered ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (declared > this.#maxSize) {
        await response.body?.cancel();
        throw badSrc(src, `the document is larger than max-document-size ${this.#maxSize}`, 'document-too-large');
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body ?? []) {
          size += chunk.byteLength;
          // Throwing out of the loop cancels the stream, and so the download.
          if (size > this.#maxSize) {
            throw badSrc(src, `the document is larger than max-document-size ${this.#maxSize}`, 'document-too-large');
          }
          chunks.push(chunk);
        }
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw failed(error);
      }
      return Buffer.concat(chunks).toString('utf8');
    }
  }
}
