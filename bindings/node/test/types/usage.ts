// Compiled with `tsc --noEmit --strict` by test/types.test.js: the declarations accept the
// official SDK's usage and reject wrong types.
import { init, getUUID, LogLevelEnum, StorageConnector, Flag, VWOClient, VWOError, IVWOOptions, IStoredRecord } from '../..';

class Store extends StorageConnector {
  private data = new Map<string, IStoredRecord>();
  async get(featureKey: string, userId: string): Promise<IStoredRecord | undefined> {
    return this.data.get(`${featureKey}:${userId}`);
  }
  async set(data: IStoredRecord): Promise<void> {
    this.data.set(`${data.featureKey}:${data.userId}`, data);
  }
}

async function main(): Promise<void> {
  const options: IVWOOptions = {
    sdkKey: 'key',
    accountId: 123456,
    pollInterval: 60000,
    storage: new Store(),
    logger: { level: LogLevelEnum.DEBUG, transports: [{ level: 'info', log: (level: string, message: string) => void [level, message] }] },
    integrations: { callback: (properties: Record<string, any>) => void properties },
    batchEventData: { eventsPerRequest: 50, requestTimeInterval: 10, flushCallback: (error: Error | null, data: { ev: Record<string, any>[] }) => void [error, data.ev.length] },
    retryConfig: { shouldRetry: true, maxRetries: 2 },
    settings: {},
    offline: true,
  };
  const client: VWOClient = await init(options);
  const flag: Flag = await client.getFlag('feature', { id: 'user', customVariables: { plan: 'pro' } });
  const enabled: boolean = flag.isEnabled();
  const title: string = flag.getVariable<string>('title', 'default');
  const maybe: number | undefined = flag.getVariable<number>('n');
  const vars = flag.getVariables().map((v) => [v.key, v.value, v.type, v.id]);
  const tracked: Record<string, boolean> = await client.trackEvent('purchase', { id: 1 }, { revenue: 3 });
  await client.setAttribute('plan', 'pro', { id: 'user' });
  await client.setAttribute({ plan: 'pro', seats: 3, trial: false }, { id: 'user' });
  const flushed: 'success' | 'error' = (await client.flushEvents()).status;
  await client.updateSettings({}, false);
  const aliased: boolean = await client.setAlias({ id: 'user' }, 'alias');
  const uuid: string | undefined = getUUID('user', 123456);
  const delivered: boolean = await client.close();
  try {
    client.getFlagSync('feature', { id: 'user' });
  } catch (e) {
    if (e instanceof VWOError) void e.code;
  }
  void [enabled, title, maybe, vars, tracked, flushed, aliased, uuid, delivered];
  // @ts-expect-error accountId is required
  await init({ sdkKey: 'k' });
  // @ts-expect-error an attribute value must be a boolean, string or number
  await client.setAttribute('plan', { nested: true }, { id: 'user' });
}
void main;
