import { PeermetricsOptions } from '../types';

/**
 * Client-side checks of the settings, mirroring the backend's (pkg/settings): they flag a bad value
 * before the user saves. An empty number means "use the default" (the backend treats 0 the same way).
 */

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const isUUID = (v: string): boolean => UUID_RE.test(v.trim());

/** host or host:port (IPv6 as [addr]:port); the port defaults to 5432 (PostgreSQL) or 6379 (Redis). */
export function validateHostPort(value: string | undefined, what = 'Host'): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') {
    return undefined;
  }
  if (/\s/.test(v) || v.includes('/')) {
    return `${what} must be host or host:port, without spaces or a scheme`;
  }
  let port: string | undefined;
  if (v.startsWith('[')) {
    const m = /^\[[^\]]+\](?::(.*))?$/.exec(v);
    if (!m) {
      return `${what} "${v}" is not a valid [IPv6]:port`;
    }
    port = m[1];
  } else {
    const parts = v.split(':');
    if (parts.length > 2) {
      // A bare IPv6 address without port is accepted by the backend.
      return undefined;
    }
    if (parts[0] === '') {
      return `${what} "${v}" has no host name`;
    }
    port = parts[1];
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) {
      return `${what} "${v}" has an invalid port (1–65535)`;
    }
  }
  return undefined;
}

function range(
  value: number | undefined,
  name: string,
  min: number,
  max: number,
  opts: { integer?: boolean; zeroIsDefault?: boolean } = {}
): string | undefined {
  if (value === undefined || value === null || (opts.zeroIsDefault && value === 0)) {
    return undefined;
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    return `${name} must be a number`;
  }
  if (opts.integer && !Number.isInteger(value)) {
    return `${name} must be a whole number`;
  }
  if (value < min || value > max) {
    return max === Infinity ? `${name} must be at least ${min}` : `${name} must be between ${min} and ${max}`;
  }
  return undefined;
}

export type ValidationErrors = Partial<Record<keyof PeermetricsOptions, string>>;

export function validateOptions(o: PeermetricsOptions): ValidationErrors {
  const errors: ValidationErrors = {};
  const set = (key: keyof PeermetricsOptions, err: string | undefined) => {
    if (err) {
      errors[key] = err;
    }
  };
  set('host', validateHostPort(o.host, 'Host'));
  set('maxConns', range(o.maxConns, 'Max connections', 1, 1000, { integer: true, zeroIsDefault: true }));
  set(
    'queryTimeoutSeconds',
    range(o.queryTimeoutSeconds, 'Query timeout', 1, 3600, { integer: true, zeroIsDefault: true })
  );
  const badRedis = (o.redisAddresses ?? []).map((a) => validateHostPort(a, 'Redis address')).find(Boolean);
  set('redisAddresses', badRedis);
  set('redisDB', range(o.redisDB, 'Redis DB', 0, 15, { integer: true }));
  const badApp = (o.appIds ?? []).find((a) => !a.startsWith('$') && !isUUID(a));
  set('appIds', badApp !== undefined ? `App id "${badApp}" is not a uuid` : undefined);
  set(
    'organizationId',
    o.organizationId && o.organizationId.trim() !== '' && !isUUID(o.organizationId)
      ? `Organization id "${o.organizationId}" is not a uuid`
      : undefined
  );
  set(
    'cacheLiveTTLSeconds',
    range(o.cacheLiveTTLSeconds, 'Live TTL', 1, Infinity, { integer: true, zeroIsDefault: true })
  );
  set(
    'cacheHistoricTTLSeconds',
    range(o.cacheHistoricTTLSeconds, 'Historic TTL', 1, Infinity, { integer: true, zeroIsDefault: true })
  );
  set(
    'prewarmIntervalSeconds',
    range(o.prewarmIntervalSeconds, 'Pre-warm interval', 5, Infinity, { integer: true, zeroIsDefault: true })
  );
  set('lossPct', range(o.lossPct, 'Loss threshold', 0, 100));
  set('rttMs', range(o.rttMs, 'RTT threshold', 0, Infinity));
  set('jitterMs', range(o.jitterMs, 'Jitter threshold', 0, Infinity));
  set('mos', range(o.mos, 'MOS threshold', 1, 5, { zeroIsDefault: true }));
  return errors;
}
