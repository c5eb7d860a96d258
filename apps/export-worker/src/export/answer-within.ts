/**
 * The promise's value if it settles within `ms`, else undefined. For calls through BullMQ's
 * Redis connection, which queues commands while Redis is away instead of failing them: probes
 * and scrapes must answer anyway.
 */
export async function answerWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
