/**
 * A bounded cache with approximate LRU eviction by generations: entries live
 * in a young and an old map; a hit in the old map promotes the entry; when
 * the young map fills, the old one is dropped whole. Unlike a strict LRU on
 * one Map (delete + set on every hit), a hit costs one lookup, which matters
 * on the ingest hot path (tens of lookups per request). Holds at most
 * `capacity` entries.
 */
export class LruCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  constructor(capacity: number) {
    if (!(capacity > 0)) throw new RangeError('LRU capacity must be positive');
    this.half = Math.max(1, Math.floor(capacity / 2));
  }
  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.put(key, o);
    }
    return o;
  }
  set(key: K, value: V): void {
    if (this.young.has(key)) this.young.set(key, value);
    else {
      this.old.delete(key);
      this.put(key, value);
    }
  }
  private put(key: K, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
  get size(): number {
    return this.young.size + this.old.size;
  }
}
