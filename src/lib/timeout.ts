/** A wait that ran out before the promise settled. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** `promise`, or a TimeoutError with `message` once `ms` have passed (the promise is left to run). */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return race(promise, ms, () => Promise.reject(new TimeoutError(message)));
}

/** `promise`'s value, or `fallback` once `ms` have passed (the promise is left to run). */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return race<T | F>(promise, ms, () => Promise.resolve(fallback));
}

function race<T>(promise: Promise<T>, ms: number, onTimeout: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  // The timer goes as soon as either settles: nothing is left to keep the process alive.
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}
