import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import { ShgovError } from "../errors.js";
import { createLogger } from "../log.js";
import { loadPolicyDir } from "../policy/load.js";
import { openServiceStore } from "../store/open.js";
import { runFindingsWorker } from "./findings-worker.js";
import { runTimerSweeper } from "./timers.js";

/**
 * The findings worker and the timer sweep on a thread of their own, so that HTTP intake and the
 * worker use two cores.
 * Only with PostgreSQL: embedded PGlite admits one connection, held by the main thread.
 */
export interface WorkerThreadHandle {
  close(): Promise<void>;
}

/**
 * Run from the TypeScript sources (tsx: tests, `npm run demo`), a thread does not inherit the
 * loader hooks, so it registers tsx itself before importing this file.
 */
function spawnThread(data: { env: Env }): Worker {
  const url = new URL(import.meta.url);
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData: data });
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

const THREAD_CLOSE_MS = 8_000;

export function startWorkerThread(env: Env, logger: Logger): WorkerThreadHandle {
  let closing = false;
  let running = false;
  let thread: Worker;
  const start = () => {
    thread = spawnThread({ env });
    running = true;
    thread.on("error", (error) => logger.error({ err: error }, "findings worker thread failed"));
    thread.on("exit", (code) => {
      running = false;
      if (closing) return;
      // Jobs it held are taken up again after their lock expires; nothing is lost.
      logger.error({ code }, "findings worker thread exited; restarting in 1 s");
      setTimeout(() => {
        if (!closing) start();
      }, 1_000);
    });
  };
  start();
  return {
    close() {
      closing = true;
      // Between a crash and its restart there is no thread to stop.
      if (!running) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // The thread closes its worker within its own grace; one that does not (a database
        // that hangs) is stopped, and its jobs run again once their locks expire.
        const timer = setTimeout(() => void thread.terminate(), THREAD_CLOSE_MS);
        thread.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        thread.postMessage("close");
      });
    },
  };
}

async function runInThread(env: Env): Promise<void> {
  const logger = createLogger(env.LOG_LEVEL, "shgov-worker");
  const policy = await loadPolicyDir(env.WORKFLOWS_DIR);
  // Listening for "close" from the start: a thread waiting for the database stops when asked.
  let stop: () => Promise<void> = async () => {};
  parentPort?.on("message", async (message) => {
    if (message !== "close") return;
    await stop();
    process.exit(0);
  });
  // The main thread started it once the database answered; should it be away again now, wait.
  const store = await openServiceStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR }, (message) =>
    logger.warn(`${message}; the findings worker waits for it`),
  );
  stop = () => store.close();
  await store.ready;
  const db = store.db;
  const stopWorker = runFindingsWorker(env, db, policy, logger);
  // The timer sweep writes as much as the worker; here it leaves the HTTP thread alone.
  const stopTimers = runTimerSweeper(env, db, policy, logger, () => new Date());
  stop = async () => {
    await Promise.all([stopTimers(), stopWorker()]);
    await store.close();
  };
}

if (!isMainThread && workerData?.env) {
  runInThread(workerData.env as Env).catch((error) => {
    // Asked to close while it waited for the database: the "close" handler exits.
    if (error instanceof ShgovError && error.code === "store.closed") return;
    // A store that cannot be opened is said in one line (ShgovError); anything else with its stack.
    const text = error instanceof ShgovError ? error.message : ((error as Error).stack ?? String(error));
    process.stderr.write(`findings worker thread: ${text}\n`);
    process.exit(1);
  });
}
