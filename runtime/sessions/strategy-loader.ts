// Resolves a session's `src` — a named application from the configuration, a file path
// or an http(s) URL — to SCXML text, and compiles each document once (bounded LRU).
// A file is recompiled when its modification time changes, so editing a strategy
// takes effect for new sessions without a restart (checked at most once a second per
// file, so a burst of session starts costs no file-system calls).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from '../http/http-error.ts';
import { StrategyCompileError, type CompiledStrategy, type StrategyEngine } from './strategy-engine.ts';

export interface StrategyLoaderOptions {
  engine: StrategyEngine;
  applications: Record<string, string>;
  strategiesDir?: string;
  cacheSize: number;
  fetchTimeoutMs: number;
}

export interface LoadedStrategy {
  /** Where the document came from, resolved (absolute path or URL). */
  location: string;
  compiled: CompiledStrategy;
}

export class StrategyLoader {
  readonly #options: StrategyLoaderOptions;
  /** location -> compiled; Map order is recency (LRU). */
  readonly #cache = new Map<string, { version: string; compiled: CompiledStrategy; checkedAt: number }>();
  static readonly recheckMs = 1000;

  constructor(options: StrategyLoaderOptions) {
    this.#options = options;
  }

  /**
   * Resolves names and relative paths; does not touch the file system or network. With a
   * `strategies-dir`, a file src from a client must stay inside it (named applications,
   * set by the operator, may point anywhere).
   */
  resolve(src: string): string {
    const named = this.#options.applications[src];
    const target = named ?? src;
    if (/^https?:\/\//i.test(target)) return target;
    const dir = this.#options.strategiesDir;
    const file = target.startsWith('file://') ? new URL(target).pathname : path.resolve(dir ?? process.cwd(), target);
    if (named === undefined && dir !== undefined) {
      const inside = path.relative(path.resolve(dir), file);
      if (inside.startsWith('..') || path.isAbsolute(inside)) {
        throw new HttpError(400, 'bad-src', `src ${JSON.stringify(src)} is outside strategies-dir`);
      }
    }
    return file;
  }

  async load(src: string): Promise<LoadedStrategy> {
    const location = this.resolve(src);
    const isUrl = /^https?:\/\//i.test(location);
    const fresh = this.#cache.get(location);
    if (fresh && performance.now() - fresh.checkedAt < StrategyLoader.recheckMs) {
      return { location, compiled: fresh.compiled };
    }
    let version = 'url';
    if (!isUrl) {
      try {
        version = String((await stat(location)).mtimeMs);
      } catch {
        throw new HttpError(400, 'bad-src', `src ${JSON.stringify(src)}: no such application or file (${location})`);
      }
    }
    const cached = this.#cache.get(location);
    if (cached && cached.version === version) {
      cached.checkedAt = performance.now();
      this.#cache.delete(location);
      this.#cache.set(location, cached);
      return { location, compiled: cached.compiled };
    }
    const text = isUrl ? await this.#fetchText(src, location) : await readFile(location, 'utf8');
    const includes = await this.#loadIncludes(text, location);
    let compiled: CompiledStrategy;
    try {
      compiled = this.#options.engine.compile(text, location, includes);
    } catch (error) {
      if (error instanceof StrategyCompileError) {
        throw new HttpError(400, 'invalid-document', `${location}: ${error.message}`);
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
   * and then through resolve(), so the same policy applies as to a client's src. An
   * include never reaches a file the document itself could not be: a document fetched
   * over HTTP includes only http(s) URLs (not `file:`), and a file document's includes
   * stay inside strategies-dir, or without one inside the document's own directory.
   */
  async #loadIncludes(text: string, location: string): Promise<Map<string, string>> {
    const includes = new Map<string, string>();
    const isUrl = (s: string) => /^https?:\/\//i.test(s);
    for (const src of this.#options.engine.externalSources?.(text) ?? []) {
      const refused = (why: string) => new HttpError(400, 'bad-src', `${location}: include ${JSON.stringify(src)} ${why}`);
      let target: string;
      if (isUrl(location)) {
        target = new URL(src, location).href;
        if (!isUrl(target)) throw refused('of a document fetched over HTTP must be an http(s) URL');
      } else if (isUrl(src)) target = src;
      else {
        target = src.startsWith('file:') ? new URL(src, 'file://' + location).pathname : path.resolve(path.dirname(location), src);
        const home = this.#options.strategiesDir !== undefined ? path.resolve(this.#options.strategiesDir) : path.dirname(location);
        const inside = path.relative(home, target);
        if (inside.startsWith('..') || path.isAbsolute(inside)) throw refused(`is outside ${this.#options.strategiesDir !== undefined ? 'strategies-dir' : "the document's directory"}`);
      }
      const resolved = this.resolve(target);
      if (isUrl(resolved)) includes.set(src, await this.#fetchText(src, resolved));
      else {
        try {
          includes.set(src, await readFile(resolved, 'utf8'));
        } catch {
          throw refused(`cannot be read (${resolved})`);
        }
      }
    }
    return includes;
  }

  async #fetchText(src: string, url: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.#options.fetchTimeoutMs) });
    } catch (error) {
      throw new HttpError(400, 'bad-src', `src ${JSON.stringify(src)}: fetching ${url} failed: ${(error as Error).message}`);
    }
    if (!response.ok) {
      throw new HttpError(400, 'bad-src', `src ${JSON.stringify(src)}: ${url} answered ${response.status}`);
    }
    return response.text();
  }
}
