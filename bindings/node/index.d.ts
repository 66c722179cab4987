// Type declarations of vwo-fme-native: the vwo-fme-node-sdk 1.35.0 API over libvwo_fme.

export declare enum LogLevelEnum {
  TRACE = 'trace',
  DEBUG = 'debug',
  INFO = 'info',
  WARN = 'warn',
  ERROR = 'error',
}

/** A stored decision record (what `set` receives and `get` returns). */
export interface IStoredRecord {
  featureKey: string;
  userId: string;
  rolloutId?: number | null;
  rolloutKey?: string | null;
  rolloutVariationId?: number | null;
  experimentId?: number | null;
  experimentKey?: string | null;
  experimentVariationId?: number | null;
  [key: string]: unknown;
}

/**
 * Storage connector base class. Implement `get` and `set` either synchronously (they run
 * inside the native call) or as `async` methods, as in the official SDK (they are awaited:
 * the decision runs on a worker thread of the client). A plain function returning a
 * Promise is not awaited: declare it `async`.
 */
export declare abstract class StorageConnector {
  abstract get(featureKey: string, userId: string): IStoredRecord | null | undefined | Promise<IStoredRecord | null | undefined>;
  abstract set(data: IStoredRecord): void | Promise<unknown>;
}

export interface ILogTransport {
  /** Minimum level for this transport (default: the logger's level). */
  level?: LogLevelEnum | string;
  /** Receives the lower-case level and the raw message. */
  log?: (level: string, message: string) => void;
  trace?: (message: string) => void;
  debug?: (message: string) => void;
  info?: (message: string) => void;
  warn?: (message: string) => void;
  error?: (message: string) => void;
}

export interface ILogManager {
  level?: LogLevelEnum | string;
  prefix?: string;
  isAnsiColorEnabled?: boolean;
  transport?: ILogTransport;
  transports?: ILogTransport[];
  /** Also print to the console when transports are given. */
  shouldLogToStandardOutput?: boolean;
}

export interface IRetryConfig {
  shouldRetry?: boolean;
  maxRetries?: number;
  initialDelay?: number;
  backoffMultiplier?: number;
}

export interface IVWOOptions {
  sdkKey: string;
  accountId: string | number;
  /** Settings polling interval, ms (>= 1000). */
  pollInterval?: number;
  gatewayService?: { url: string; protocol?: 'http' | 'https'; port?: number };
  storage?: StorageConnector | { get: StorageConnector['get']; set: StorageConnector['set'] };
  logger?: ILogManager;
  integrations?: { callback?: (properties: Record<string, any>) => void };
  batchEventData?: {
    eventsPerRequest?: number;
    /** Seconds. */
    requestTimeInterval?: number;
    flushCallback?: (error: Error | null, data: { ev: Record<string, any>[] }) => void;
  };
  retryConfig?: IRetryConfig;
  /** Settings JSON (object or text): no fetch, no polling. */
  settings?: Record<string, any> | string;
  isDevelopmentMode?: boolean;
  isUsageStatsDisabled?: boolean;
  isAliasingEnabled?: boolean;
  /** API promises resolve after their events were sent (retries off). */
  shouldWaitForTrackingCalls?: boolean;
  edgeConfig?: { shouldWaitForTrackingCalls?: boolean; maxEventsToBatch?: number };
  // Extensions of this binding (keys of the native library):
  /** With `settings`: no network at all. */
  offline?: boolean;
  /** Decide exactly as the official Python SDK 1.65.0 (its two decision bugs included). */
  pythonCompat?: boolean;
  /** `http(s)://host:port` replacing the VWO host for settings and events. */
  proxyUrl?: string;
  threading?: { enabled?: boolean; maxWorkers?: number };
  maxQueueSize?: number;
  shutdownTimeoutMs?: number;
  requestTimeoutMs?: number;
  settingsTimeoutMs?: number;
  caCerts?: string;
  [key: string]: any;
}

export interface IVWOContextModel {
  id: string | number;
  userAgent?: string;
  ipAddress?: string;
  customVariables?: Record<string, any>;
  variationTargetingVariables?: Record<string, any>;
  postSegmentationVariables?: string[];
  /** Extension: the session id (unix seconds) of the decision's events. */
  sessionId?: number;
  [key: string]: any;
}

export interface IVariable {
  value: unknown;
  type: string;
  key: string;
  id: number;
}

export type FlagReason = 'EVALUATED' | 'STORED_EXPERIMENT' | 'STORED_HOLDOUT' | 'HOLDOUT' | 'FEATURE_NOT_FOUND' | 'ERROR';

export declare class Flag {
  isEnabled(): boolean;
  getVariables(): IVariable[];
  getVariable<T = unknown>(key: string): T | undefined;
  getVariable<T = unknown>(key: string, defaultValue: T): T;
  /** Extension: the visitor UUID of the decision. */
  getUUID(): string | undefined;
  /** Extension: the session id (unix seconds). */
  getSessionId(): number;
  /** Extension: how the decision was reached. */
  getReason(): FlagReason;
}

/** An error from the native library; `code` is the status name, e.g. `'VWO_ERR_CLOSED'`. */
export declare class VWOError extends Error {
  readonly code: string;
  readonly status: number;
}

export interface IVWOClient {
  readonly options?: IVWOOptions;
  /** Never rejects on evaluation problems (a disabled flag); rejects only after close(). */
  getFlag(featureKey: string, context: IVWOContextModel): Promise<Flag>;
  trackEvent(eventName: string, context: IVWOContextModel, eventProperties?: Record<string, any>): Promise<Record<string, boolean>>;
  setAttribute(attributeKey: string, attributeValue: boolean | string | number, context: IVWOContextModel): Promise<void>;
  setAttribute(attributes: Record<string, boolean | string | number>, context: IVWOContextModel): Promise<void>;
  /** Rejects with a VWOError when the settings are invalid or cannot be fetched. */
  updateSettings(settings?: Record<string, any> | string, isViaWebhook?: boolean): Promise<void>;
  /** Sends queued events and waits (default 30 000 ms) for every pending one. */
  flushEvents(timeoutMs?: number): Promise<{ status: 'success' | 'error'; events: any[] }>;
  setAlias(contextOrUserId: IVWOContextModel | string, aliasId: string): Promise<boolean>;
}

export declare class VWOClient implements IVWOClient {
  readonly options?: IVWOOptions;
  getFlag(featureKey: string, context: IVWOContextModel): Promise<Flag>;
  /** Extension: getFlag without a Promise (not with a gateway, threading off or an async connector). */
  getFlagSync(featureKey: string, context: IVWOContextModel): Flag;
  trackEvent(eventName: string, context: IVWOContextModel, eventProperties?: Record<string, any>): Promise<Record<string, boolean>>;
  setAttribute(attributeKey: string, attributeValue: boolean | string | number, context: IVWOContextModel): Promise<void>;
  setAttribute(attributes: Record<string, boolean | string | number>, context: IVWOContextModel): Promise<void>;
  updateSettings(settings?: Record<string, any> | string, isViaWebhook?: boolean): Promise<void>;
  flushEvents(timeoutMs?: number): Promise<{ status: 'success' | 'error'; events: any[] }>;
  setAlias(contextOrUserId: IVWOContextModel | string, aliasId: string): Promise<boolean>;
  /**
   * Extension: stops polling, delivers pending events, joins the library's threads and frees
   * the native client. Resolves to whether every pending event was delivered. Idempotent.
   * Clients still open when the process emits 'exit' are closed synchronously by the
   * binding (README "Lifecycle"); a process killed by a signal flushes nothing.
   */
  close(): Promise<boolean>;
}

/** Creates a client; rejects with a VWOError (code `VWO_ERR_INIT`) on unusable options. */
export declare function init(options: IVWOOptions): Promise<VWOClient>;

/** The VWO visitor UUID (32 upper-case hex digits), undefined for empty input. */
export declare function getUUID(userId: string | number, accountId: string | number): string | undefined;

/** Versions of the loaded library. */
export declare function versions(): { library: string; abi: string; path: string };
