import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * What a 202 is worth. POST /events answers 202 once the job is stored in Redis, and EventBridge
 * never sends that event again: the event is as durable as Redis is. With AOF (`appendonly yes`)
 * it survives a restart or a crash of Redis (a machine crash may lose the last second with
 * `appendfsync everysec`); with RDB snapshots alone, what came since the last snapshot is lost
 * when Redis stops unexpectedly; without either, every event not yet applied is lost at a restart.
 * This module says which at start and in /readyz, and notices when Redis lost its data.
 */
export type RedisPersistence = "aof" | "rdb" | "none" | "no_aof";

export interface RedisDurability {
  persistence: RedisPersistence;
  /** maxmemory-policy as INFO says it; BullMQ requires noeviction. */
  evictionPolicy: string | null;
  /** What would lose accepted events, in words; null when Redis persists with AOF. */
  persistenceWarning: string | null;
  /** Null with noeviction. */
  evictionWarning: string | null;
}

function infoField(info: string, name: string): string | null {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? null;
}

/**
 * Asks Redis how it keeps data. INFO answers everywhere; CONFIG GET, which alone tells whether
 * RDB snapshots are configured, is refused by managed services (renamed, or denied by ACL): then
 * all that is known is that AOF is off.
 */
export async function inspectRedisDurability(redis: Redis, address: string): Promise<RedisDurability> {
  const [persistenceInfo, memoryInfo] = await Promise.all([redis.info("persistence"), redis.info("memory")]);
  const evictionPolicy = infoField(memoryInfo, "maxmemory_policy");
  const evictionWarning =
    evictionPolicy !== null && evictionPolicy !== "noeviction"
      ? `Redis at ${address} has maxmemory-policy ${evictionPolicy}: when it runs out of memory it evicts keys, queued events among them; BullMQ requires noeviction (set maxmemory-policy noeviction)`
      : null;
  if (infoField(persistenceInfo, "aof_enabled") === "1") {
    return { persistence: "aof", evictionPolicy, persistenceWarning: null, evictionWarning };
  }
  const save = await redis
    .config("GET", "save")
    .then((answer) => (Array.isArray(answer) ? (answer[1] ?? null) : null))
    .catch(() => null);
  const lost =
    "the events answered 202 and not yet applied are lost, and EventBridge does not send them again";
  if (save === null) {
    return {
      persistence: "no_aof",
      evictionPolicy,
      persistenceWarning: `Redis at ${address} runs without AOF (INFO persistence: aof_enabled:0) and does not allow CONFIG GET save: unless it snapshots or replicates, when it restarts ${lost}; run it with appendonly yes, or a managed Redis with its durable option`,
      evictionWarning,
    };
  }
  if (save.trim() === "") {
    return {
      persistence: "none",
      evictionPolicy,
      persistenceWarning: `Redis at ${address} does not persist (appendonly no, save ""): when it restarts ${lost}; run it with appendonly yes`,
      evictionWarning,
    };
  }
  return {
    persistence: "rdb",
    evictionPolicy,
    persistenceWarning: `Redis at ${address} persists by RDB snapshots only (save "${save}", appendonly no): when it stops unexpectedly, of the events it took since its last snapshot ${lost}; run it with appendonly yes`,
    evictionWarning,
  };
}

/** A check of GET /readyz: these warn, and never make the service unready. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  [detail: string]: unknown;
}

/** The job states of the findings queue whose jobs the worker would still apply. */
const UNFINISHED = ["waiting", "active", "delayed", "prioritized", "waiting-children"] as const;

export interface RedisDataLoss {
  /** When this process last saw Redis with the deployment's data. */
  lastSeenAt: Date;
  /** Jobs of the findings queue not yet applied then. */
  queuedWhenLastSeen: number;
  /** Findings this process accepted after that. */
  acceptedSince: number;
}

export interface RedisDurabilityWatchOptions {
  redis: Redis;
  /** host:port, as logs may say it. */
  address: string;
  /** QUEUE_PREFIX: the marker lives under it. */
  prefix: string;
  /** The findings queue (ProducerQueue.get): throws while Redis has not been reachable. */
  queue: () => Queue;
  logger: Logger;
  /** True when the store holds observed findings; says whether an empty Redis at start is news. */
  storeHasFindings: () => Promise<boolean>;
  /** Called once per loss this process notices, with its upper bound of the findings lost. */
  onLoss?: (lostAtMost: number, loss: RedisDataLoss) => void;
  intervalMs?: number;
  now?: () => Date;
}

/**
 * Notices that Redis lost the deployment's data. A marker key under the queue prefix holds a
 * random value; each process remembers the one it saw, and looks again whenever its connection
 * becomes ready and every few seconds. A marker gone (Redis restarted without persistence,
 * flushed, or evicted it) or replaced (another process noticed first) means that every job
 * queued then is gone, and with it every event answered 202 and not yet applied, which EventBridge
 * will not send again. The loss is logged as an error with an upper bound of what was lost: the
 * findings queued when this process last saw the marker, plus those it accepted since.
 */
export class RedisDurabilityWatch {
  private marker: string | null = null;
  private lastSeen: { at: Date; queued: number } | null = null;
  private acceptedSince = 0;
  private checking: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private durabilitySaid = false;
  private readonly onReady = () => void this.check();
  private readonly now: () => Date;

  constructor(private readonly options: RedisDurabilityWatchOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get markerKey(): string {
    return `${this.options.prefix}:redis-data-marker`;
  }

  /** Looks now (or once Redis is reachable), then on every reconnection and every intervalMs. */
  start(): void {
    this.options.redis.on("ready", this.onReady);
    if (this.options.redis.status === "ready") void this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    this.options.redis.off("ready", this.onReady);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** For intake: `count` findings were just answered 202. */
  noteAccepted(count: number): void {
    this.acceptedSince += count;
  }

  /** One look at a time; a look while Redis is down does nothing (the outage is said elsewhere). */
  check(): Promise<void> {
    this.checking ??= this.look()
      .catch((error) => this.options.logger.debug({ err: error }, "Redis data marker not checked"))
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  private async look(): Promise<void> {
    const { redis, address, logger } = this.options;
    if (!this.durabilitySaid) {
      this.durabilitySaid = await this.sayDurability().then(
        () => true,
        () => false,
      );
    }
    // Counted before the queue is: a finding accepted meanwhile is counted twice, never missed.
    const acceptedBefore = this.acceptedSince;
    const value = `${randomUUID()} ${this.now().toISOString()}`;
    const created = (await redis.set(this.markerKey, value, "NX")) === "OK";
    const current = created ? value : await redis.get(this.markerKey);
    // Gone between the two commands: the next look tells.
    if (current === null) return;
    const queued = await this.queued();
    if (this.marker === null) {
      if (created && (await this.options.storeHasFindings().catch(() => false))) {
        logger.warn(
          { redis: address, prefix: this.options.prefix },
          `Redis at ${address} holds no data of this deployment (QUEUE_PREFIX ${this.options.prefix}) while the database holds findings: it is new, or it lost its data while no process of this deployment ran (a restart without persistence); if it lost it, the events answered 202 and not yet applied then are lost, and how many cannot be told`,
        );
      }
    } else if (current !== this.marker && this.lastSeen) {
      const loss: RedisDataLoss = {
        lastSeenAt: this.lastSeen.at,
        queuedWhenLastSeen: this.lastSeen.queued,
        acceptedSince: acceptedBefore,
      };
      const lostAtMost = loss.queuedWhenLastSeen + loss.acceptedSince;
      logger.error(
        { redis: address, ...loss, lastSeenAt: loss.lastSeenAt.toISOString(), lostAtMost },
        `Redis at ${address} lost its data (restarted without persistence, flushed, or its keys evicted) after ${loss.lastSeenAt.toISOString()}: up to ${lostAtMost} findings answered 202 and not yet applied are lost (${loss.queuedWhenLastSeen} queued when it was last seen with its data, ${loss.acceptedSince} accepted by this process since), and EventBridge will not send them again; the findings Security Hub updated since then may need to be imported again`,
      );
      this.options.onLoss?.(lostAtMost, loss);
    }
    this.marker = current;
    this.lastSeen = { at: this.now(), queued };
    this.acceptedSince -= acceptedBefore;
  }

  private async queued(): Promise<number> {
    try {
      const counts = await this.options.queue().getJobCounts(...UNFINISHED);
      return UNFINISHED.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    } catch {
      return 0;
    }
  }

  /** Said once, at the first look: what a 202 is worth with this Redis. */
  private async sayDurability(): Promise<void> {
    const { redis, address, logger } = this.options;
    const durability = await inspectRedisDurability(redis, address);
    if (durability.persistenceWarning) {
      logger.warn({ redis: address, persistence: durability.persistence }, durability.persistenceWarning);
    } else {
      logger.info(
        { redis: address, persistence: durability.persistence },
        `Redis at ${address} persists with AOF: the events answered 202 survive its restart`,
      );
    }
    if (durability.evictionWarning) {
      logger.warn({ redis: address, evictionPolicy: durability.evictionPolicy }, durability.evictionWarning);
    }
  }

  /** The checks of GET /readyz: they warn, and are ok whatever Redis says. */
  async readinessChecks(timeoutMs = 1_000): Promise<ReadinessCheck[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const durability = await Promise.race([
        inspectRedisDurability(this.options.redis, this.options.address),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return [
        {
          name: "redis_persistence",
          ok: true,
          persistence: durability.persistence,
          ...(durability.persistenceWarning ? { warning: durability.persistenceWarning } : {}),
        },
        {
          name: "redis_eviction",
          ok: true,
          policy: durability.evictionPolicy,
          ...(durability.evictionWarning ? { warning: durability.evictionWarning } : {}),
        },
      ];
    } catch (error) {
      const warning = `not known: Redis did not say (${(error as Error).message})`;
      return [
        { name: "redis_persistence", ok: true, persistence: "unknown", warning },
        { name: "redis_eviction", ok: true, policy: null, warning },
      ];
    } finally {
      clearTimeout(timer);
    }
  }
}
