/** Public face of the store: the interface and the embedded default. */
import { openDuckDbStore } from './duckdb.js';
import type { Store } from './types.js';

export type * from './types.js';

export interface StoreOptions {
  /** DuckDB file path or ':memory:'. */
  path: string;
  readOnly?: boolean;
}

/** Default store file in the working directory. */
export const DEFAULT_DB = 'mirrorwatch.duckdb';

export function openStore(options: StoreOptions): Promise<Store> {
  return openDuckDbStore(options);
}
export { decodeEvent, encodeEvent } from './encode.js';
export type { EncodedEvent, EncodedInstances } from './encode.js';
