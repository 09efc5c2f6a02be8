/** One at a time per key, in this process: a `Mutex` per key, dropped once nobody holds it or waits for it. */
import { Mutex } from 'async-mutex';

export type KeyedLock = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function createKeyedLock(): KeyedLock {
  const locks = new Map<string, Mutex>();
  return async (key, work) => {
    const lock = locks.get(key) ?? new Mutex();
    locks.set(key, lock);
    try {
      return await lock.runExclusive(work);
    } finally {
      // A waiter takes the lock as it is released, so an unlocked one has no waiters left.
      if (!lock.isLocked()) locks.delete(key);
    }
  };
}
