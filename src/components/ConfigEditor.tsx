import React, { ChangeEvent, useCallback, useMemo, useState } from 'react';
import { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Field, FieldSet, Input, MultiSelect, SecretInput, Select, Switch } from '@grafana/ui';
import { lastValueFrom } from 'rxjs';

import { DEFAULT_OPTIONS, PeermetricsOptions, PeermetricsSecureJsonData, SslMode, ValueOption } from '../types';
import { validateOptions } from './validation';

export type Props = DataSourcePluginOptionsEditorProps<PeermetricsOptions, PeermetricsSecureJsonData>;

type NumberKey =
  | 'maxConns'
  | 'queryTimeoutSeconds'
  | 'redisDB'
  | 'cacheLiveTTLSeconds'
  | 'cacheHistoricTTLSeconds'
  | 'prewarmIntervalSeconds'
  | 'lossPct'
  | 'rttMs'
  | 'jitterMs'
  | 'mos';

const SSL_MODES: Array<SelectableValue<SslMode>> = [
  { value: 'disable', label: 'disable', description: 'No TLS' },
  { value: 'require', label: 'require', description: 'TLS, without verifying the server certificate' },
  { value: 'verify-ca', label: 'verify-ca', description: 'TLS, certificate signed by a trusted CA' },
  { value: 'verify-full', label: 'verify-full', description: 'TLS, trusted certificate matching the host name' },
];

const WIDTH = 40;

/** Parses the text of a number input: '' means "not set" (the backend default applies). */
export function parseNumber(text: string): number | undefined {
  if (text.trim() === '') {
    return undefined;
  }
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** Splits a comma separated list, trimming entries and dropping empty ones. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function ConfigEditor(props: Props) {
  const { onOptionsChange, options } = props;
  const jsonData = useMemo(() => options.jsonData ?? {}, [options.jsonData]);
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = options.secureJsonData ?? {};
  const errors = validateOptions(jsonData);

  // Redis addresses are edited as text so that a trailing comma can be typed.
  const [redisText, setRedisText] = useState<string>((jsonData.redisAddresses ?? []).join(', '));
  const [apps, setApps] = useState<ValueOption[] | undefined>(undefined);
  const [appsError, setAppsError] = useState<string | undefined>(undefined);
  const [appsLoading, setAppsLoading] = useState(false);

  const setJson = useCallback(
    <K extends keyof PeermetricsOptions>(key: K, value: PeermetricsOptions[K] | undefined) => {
      const next: PeermetricsOptions = { ...options.jsonData };
      if (value === undefined) {
        delete next[key];
      } else {
        next[key] = value;
      }
      onOptionsChange({ ...options, jsonData: next });
    },
    [onOptionsChange, options]
  );

  const setSecret = (key: keyof PeermetricsSecureJsonData, value: string) => {
    onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, [key]: value } });
  };

  const resetSecret = (key: keyof PeermetricsSecureJsonData) => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...options.secureJsonFields, [key]: false },
      secureJsonData: { ...options.secureJsonData, [key]: '' },
    });
  };

  const onText = (key: 'host' | 'database' | 'user' | 'organizationId') => (e: ChangeEvent<HTMLInputElement>) =>
    setJson(key, e.currentTarget.value === '' ? undefined : e.currentTarget.value);

  const onNumber = (key: NumberKey) => (e: ChangeEvent<HTMLInputElement>) =>
    setJson(key, parseNumber(e.currentTarget.value));

  const numberValue = (key: NumberKey) => (jsonData[key] === undefined ? '' : String(jsonData[key]));

  // Apps can be listed only once the data source is saved (the backend reads the saved settings).
  const canFetchApps = Boolean(options.uid && options.id);
  const loadApps = async () => {
    if (!canFetchApps || apps !== undefined || appsLoading) {
      return;
    }
    setAppsLoading(true);
    try {
      const res = await lastValueFrom(
        getBackendSrv().fetch<ValueOption[]>({
          url: `/api/datasources/uid/${encodeURIComponent(options.uid)}/resources/values/apps`,
          method: 'GET',
          showErrorAlert: false,
        })
      );
      setApps(Array.isArray(res.data) ? res.data : []);
      setAppsError(undefined);
    } catch (err) {
      setApps([]);
      setAppsError('Could not list apps (save & test the connection first); you can still type app ids.');
    } finally {
      setAppsLoading(false);
    }
  };

  const appIds = jsonData.appIds ?? [];
  const appOptions: Array<SelectableValue<string>> = [
    ...appIds.map((id) => ({ value: id, label: apps?.find((a) => a.value === id)?.text ?? id })),
    ...(apps ?? [])
      .filter((a) => !appIds.includes(a.value))
      .map((a) => ({ value: a.value, label: a.text, description: a.text !== a.value ? a.value : undefined })),
  ];

  return (
    <>
      <FieldSet label="PostgreSQL connection">
        <Field
          label="Host"
          description="The Peermetrics database as host:port; the port defaults to 5432."
          invalid={!!errors.host}
          error={errors.host}
        >
          <Input
            id="config-host"
            width={WIDTH}
            value={jsonData.host ?? ''}
            placeholder="localhost:5432"
            onChange={onText('host')}
          />
        </Field>
        <Field label="Database" description="Database name.">
          <Input
            id="config-database"
            width={WIDTH}
            value={jsonData.database ?? ''}
            placeholder="peermetrics"
            onChange={onText('database')}
          />
        </Field>
        <Field label="User" description="A read-only role is enough: the plugin only reads.">
          <Input
            id="config-user"
            width={WIDTH}
            value={jsonData.user ?? ''}
            placeholder="postgres"
            onChange={onText('user')}
          />
        </Field>
        <Field label="Password" description="Stored encrypted; never sent back to the browser.">
          <SecretInput
            id="config-password"
            width={WIDTH}
            isConfigured={!!secureJsonFields.password}
            value={secureJsonData.password ?? ''}
            placeholder="Password"
            onReset={() => resetSecret('password')}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setSecret('password', e.currentTarget.value)}
          />
        </Field>
        <Field label="TLS mode" description="PostgreSQL sslmode.">
          <Select<SslMode>
            inputId="config-ssl-mode"
            width={WIDTH}
            options={SSL_MODES}
            value={jsonData.sslMode ?? DEFAULT_OPTIONS.sslMode}
            onChange={(v) => setJson('sslMode', v.value)}
          />
        </Field>
        <Field
          label="Max connections"
          description="Size of the connection pool (1–1000)."
          invalid={!!errors.maxConns}
          error={errors.maxConns}
        >
          <Input
            id="config-max-conns"
            type="number"
            width={WIDTH}
            value={numberValue('maxConns')}
            placeholder="10"
            onChange={onNumber('maxConns')}
          />
        </Field>
        <Field
          label="Query timeout (s)"
          description="Statement timeout of every query (1–3600)."
          invalid={!!errors.queryTimeoutSeconds}
          error={errors.queryTimeoutSeconds}
        >
          <Input
            id="config-query-timeout"
            type="number"
            width={WIDTH}
            value={numberValue('queryTimeoutSeconds')}
            placeholder={String(DEFAULT_OPTIONS.queryTimeoutSeconds)}
            onChange={onNumber('queryTimeoutSeconds')}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Redis cache">
        <Field
          label="Addresses"
          description="host:port, comma separated; several addresses mean a Redis Cluster. Empty: an in-process cache."
          invalid={!!errors.redisAddresses}
          error={errors.redisAddresses}
        >
          <Input
            id="config-redis-addresses"
            width={WIDTH}
            value={redisText}
            placeholder="redis:6379"
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              const text = e.currentTarget.value;
              setRedisText(text);
              const list = splitList(text);
              setJson('redisAddresses', list.length ? list : undefined);
            }}
          />
        </Field>
        <Field label="Password" description="Redis AUTH password, if any.">
          <SecretInput
            id="config-redis-password"
            width={WIDTH}
            isConfigured={!!secureJsonFields.redisPassword}
            value={secureJsonData.redisPassword ?? ''}
            placeholder="Redis password"
            onReset={() => resetSecret('redisPassword')}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setSecret('redisPassword', e.currentTarget.value)}
          />
        </Field>
        <Field label="TLS" description="Connect to Redis over TLS.">
          <Switch
            id="config-redis-tls"
            value={!!jsonData.redisTLS}
            onChange={(e: React.FormEvent<HTMLInputElement>) => setJson('redisTLS', e.currentTarget.checked)}
          />
        </Field>
        <Field
          label="Database number"
          description="Redis DB (0–15); ignored by Redis Cluster."
          invalid={!!errors.redisDB}
          error={errors.redisDB}
        >
          <Input
            id="config-redis-db"
            type="number"
            width={WIDTH}
            value={numberValue('redisDB')}
            placeholder="0"
            onChange={onNumber('redisDB')}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Scope">
        <Field
          label="App ids"
          description={
            appsError ??
            'The Peermetrics apps this data source may read. Empty (and no organization): every app in the database.'
          }
          invalid={!!errors.appIds}
          error={errors.appIds}
        >
          <MultiSelect<string>
            inputId="config-app-ids"
            width={WIDTH}
            allowCustomValue
            isLoading={appsLoading}
            options={appOptions}
            value={appIds}
            placeholder="All apps"
            onOpenMenu={loadApps}
            onChange={(v: Array<SelectableValue<string>>) => {
              const ids = v.map((o) => (o.value ?? '').trim()).filter((s) => s !== '');
              setJson('appIds', ids.length ? ids : undefined);
            }}
          />
        </Field>
        <Field
          label="Organization id"
          description="Limit to the apps of one Peermetrics organization (uuid)."
          invalid={!!errors.organizationId}
          error={errors.organizationId}
        >
          <Input
            id="config-organization-id"
            width={WIDTH}
            value={jsonData.organizationId ?? ''}
            placeholder="Any organization"
            onChange={onText('organizationId')}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Cache">
        <Field
          label="Live TTL (s)"
          description="How long results of ranges touching the last hour stay cached."
          invalid={!!errors.cacheLiveTTLSeconds}
          error={errors.cacheLiveTTLSeconds}
        >
          <Input
            id="config-cache-live-ttl"
            type="number"
            width={WIDTH}
            value={numberValue('cacheLiveTTLSeconds')}
            placeholder={String(DEFAULT_OPTIONS.cacheLiveTTLSeconds)}
            onChange={onNumber('cacheLiveTTLSeconds')}
          />
        </Field>
        <Field
          label="Historic TTL (s)"
          description="How long results of older ranges stay cached."
          invalid={!!errors.cacheHistoricTTLSeconds}
          error={errors.cacheHistoricTTLSeconds}
        >
          <Input
            id="config-cache-historic-ttl"
            type="number"
            width={WIDTH}
            value={numberValue('cacheHistoricTTLSeconds')}
            placeholder={String(DEFAULT_OPTIONS.cacheHistoricTTLSeconds)}
            onChange={onNumber('cacheHistoricTTLSeconds')}
          />
        </Field>
        <Field label="Pre-warm" description="Refresh the overview dashboard's queries in the background.">
          <Switch
            id="config-prewarm"
            value={jsonData.prewarm ?? DEFAULT_OPTIONS.prewarm}
            onChange={(e: React.FormEvent<HTMLInputElement>) => setJson('prewarm', e.currentTarget.checked)}
          />
        </Field>
        <Field
          label="Pre-warm interval (s)"
          description="Seconds between pre-warm runs (at least 5)."
          invalid={!!errors.prewarmIntervalSeconds}
          error={errors.prewarmIntervalSeconds}
        >
          <Input
            id="config-prewarm-interval"
            type="number"
            width={WIDTH}
            value={numberValue('prewarmIntervalSeconds')}
            placeholder={String(DEFAULT_OPTIONS.prewarmIntervalSeconds)}
            disabled={(jsonData.prewarm ?? DEFAULT_OPTIONS.prewarm) === false}
            onChange={onNumber('prewarmIntervalSeconds')}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Quality thresholds">
        <Field
          label="Packet loss (%)"
          description="A sample with more loss counts as poor (0–100)."
          invalid={!!errors.lossPct}
          error={errors.lossPct}
        >
          <Input
            id="config-loss-pct"
            type="number"
            width={WIDTH}
            value={numberValue('lossPct')}
            placeholder={String(DEFAULT_OPTIONS.lossPct)}
            onChange={onNumber('lossPct')}
          />
        </Field>
        <Field
          label="RTT (ms)"
          description="A sample with a longer round-trip time counts as poor."
          invalid={!!errors.rttMs}
          error={errors.rttMs}
        >
          <Input
            id="config-rtt-ms"
            type="number"
            width={WIDTH}
            value={numberValue('rttMs')}
            placeholder={String(DEFAULT_OPTIONS.rttMs)}
            onChange={onNumber('rttMs')}
          />
        </Field>
        <Field
          label="Jitter (ms)"
          description="A sample with more jitter counts as poor."
          invalid={!!errors.jitterMs}
          error={errors.jitterMs}
        >
          <Input
            id="config-jitter-ms"
            type="number"
            width={WIDTH}
            value={numberValue('jitterMs')}
            placeholder={String(DEFAULT_OPTIONS.jitterMs)}
            onChange={onNumber('jitterMs')}
          />
        </Field>
        <Field
          label="MOS"
          description="A sample with a lower mean opinion score counts as poor (1–5)."
          invalid={!!errors.mos}
          error={errors.mos}
        >
          <Input
            id="config-mos"
            type="number"
            step="0.1"
            width={WIDTH}
            value={numberValue('mos')}
            placeholder={String(DEFAULT_OPTIONS.mos)}
            onChange={onNumber('mos')}
          />
        </Field>
      </FieldSet>
    </>
  );
}
