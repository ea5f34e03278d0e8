import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/**
 * The query model. This is the JSON contract parsed by the Go backend (SPEC §3): keep the field names
 * and value sets identical to pkg/.
 */

export type QueryType =
  | 'overview'
  | 'conferenceStatus'
  | 'timeseries'
  | 'issueSummary'
  | 'gumErrors'
  | 'durationHistogram'
  | 'participantHistogram'
  | 'setupTimeHistogram'
  | 'connectionTypes'
  | 'breakdown'
  | 'conferences'
  | 'participants'
  | 'sessions'
  | 'connections'
  | 'issues'
  | 'events'
  | 'connectionStats'
  | 'quality'
  | 'funnel'
  | 'annotations'
  | 'variable';

export type GroupBy =
  'browser' | 'os' | 'country' | 'city' | 'appVersion' | 'sdk' | 'issueCode' | 'status' | 'connectionType';

export type Metric =
  | 'conferences'
  | 'sessions'
  | 'participants'
  | 'connections'
  | 'issues'
  | 'failedConnections'
  | 'relayedConnections'
  | 'gumErrors'
  | 'minutes'
  | 'setupP50Ms'
  | 'setupP95Ms'
  | 'mosP50'
  | 'lossP95Pct'
  | 'rttP95Ms'
  | 'jitterP95Ms';

export type VariableKind =
  'apps' | 'conferences' | 'participants' | 'issueCodes' | 'browsers' | 'os' | 'countries' | 'appVersions' | 'sdks';

export interface Filters {
  browser?: string[];
  os?: string[];
  country?: string[];
  appVersion?: string[];
  sdk?: string[];
  issueCode?: string[];
  status?: string[];
  /** Seconds; a dashboard may set a template variable such as "$durationMin", a string until interpolated. */
  durationMinSeconds?: number | string;
  durationMaxSeconds?: number | string;
  participantId?: string;
  search?: string;
}

export interface PeermetricsQuery extends DataQuery {
  queryType: QueryType;
  appId?: string;
  filters?: Filters;
  groupBy?: GroupBy;
  metric?: Metric;
  conferenceId?: string;
  sessionId?: string;
  connectionId?: string;
  limit?: number;
  offset?: number;
  variable?: VariableKind;
}

/** List-valued filters (multi-value template variables expand into several entries). */
export type ListFilterKey = 'browser' | 'os' | 'country' | 'appVersion' | 'sdk' | 'issueCode' | 'status';
export const LIST_FILTER_KEYS: ListFilterKey[] = [
  'browser',
  'os',
  'country',
  'appVersion',
  'sdk',
  'issueCode',
  'status',
];

export type FilterKey = keyof Filters;

/** Identifier fields; participantId lives in filters.participantId in the query model. */
export type IdField = 'conferenceId' | 'sessionId' | 'connectionId' | 'participantId';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10000;

export const DEFAULT_QUERY: Partial<PeermetricsQuery> = {
  queryType: 'overview',
};

/** Which fields a query type reads. */
export interface QueryTypeFields {
  appId: boolean;
  /** Filters shown in the editor for this type. */
  filters: FilterKey[];
  groupBy?: 'required' | 'optional';
  metric?: 'required';
  /** Identifier fields accepted; when idRequired, at least one must be set. */
  ids: IdField[];
  idRequired: boolean;
  /** limit/offset paging. */
  paging: boolean;
  variable: boolean;
}

export interface QueryTypeInfo {
  value: QueryType;
  label: string;
  description: string;
  fields: QueryTypeFields;
}

const SUMMARY_FILTERS: FilterKey[] = [
  'browser',
  'os',
  'country',
  'appVersion',
  'sdk',
  'issueCode',
  'status',
  'durationMinSeconds',
  'durationMaxSeconds',
];
const CONFERENCE_FILTERS: FilterKey[] = [...SUMMARY_FILTERS, 'participantId', 'search'];
const DETAIL_IDS: IdField[] = ['conferenceId', 'sessionId', 'connectionId', 'participantId'];

const summary = (): QueryTypeFields => ({
  appId: true,
  filters: SUMMARY_FILTERS,
  ids: [],
  idRequired: false,
  paging: false,
  variable: false,
});
const detail = (): QueryTypeFields => ({
  appId: false,
  filters: [],
  ids: DETAIL_IDS,
  idRequired: true,
  paging: true,
  variable: false,
});

export const QUERY_TYPES: readonly QueryTypeInfo[] = [
  {
    value: 'overview',
    label: 'Overview',
    description: 'One row of fleet totals: conferences, participants, error rates, setup time, MOS',
    fields: summary(),
  },
  {
    value: 'conferenceStatus',
    label: 'Conference status',
    description: 'Conferences per day by status: success, warning, error, ongoing',
    fields: summary(),
  },
  {
    value: 'timeseries',
    label: 'Time series',
    description: 'One metric over time, optionally one series per group (alertable)',
    fields: { ...summary(), metric: 'required', groupBy: 'optional' },
  },
  {
    value: 'issueSummary',
    label: 'Issue summary',
    description: 'Issues by code with severity, count and affected conferences and sessions',
    fields: summary(),
  },
  {
    value: 'gumErrors',
    label: 'getUserMedia errors',
    description: 'Media access errors by source, name and message with their share',
    fields: summary(),
  },
  {
    value: 'durationHistogram',
    label: 'Duration histogram',
    description: 'Conferences per duration bucket',
    fields: summary(),
  },
  {
    value: 'participantHistogram',
    label: 'Participant histogram',
    description: 'Conferences per number of participants',
    fields: summary(),
  },
  {
    value: 'setupTimeHistogram',
    label: 'Setup time histogram',
    description: 'Connections per setup time bucket',
    fields: summary(),
  },
  {
    value: 'connectionTypes',
    label: 'Connection types',
    description: 'Connections by ICE candidate type (host, srflx, prflx, relay) and protocol',
    fields: summary(),
  },
  {
    value: 'breakdown',
    label: 'Breakdown',
    description: 'Sessions, conferences, issues and error rate per group (browser, country, ...)',
    fields: { ...summary(), groupBy: 'required' },
  },
  {
    value: 'conferences',
    label: 'Conferences',
    description: 'List of conferences with status, duration, participants and top issue, newest first',
    fields: { ...summary(), filters: CONFERENCE_FILTERS, paging: true },
  },
  {
    value: 'participants',
    label: 'Participants',
    description: 'Participants of a conference, session, connection or participant id',
    fields: detail(),
  },
  {
    value: 'sessions',
    label: 'Sessions',
    description: 'Sessions with browser, OS, devices, location, app version and time in call',
    fields: detail(),
  },
  {
    value: 'connections',
    label: 'Connections',
    description: 'Peer connections with type, state, setup time and negotiations',
    fields: detail(),
  },
  {
    value: 'issues',
    label: 'Issues',
    description: 'Issues with code, title, severity and time',
    fields: detail(),
  },
  {
    value: 'events',
    label: 'Events',
    description: 'Event timeline with category, type and a readable summary',
    fields: detail(),
  },
  {
    value: 'connectionStats',
    label: 'Connection stats',
    description: 'Bitrate, packet rate, loss, jitter, RTT, MOS and video stats per connection over time',
    fields: {
      appId: false,
      filters: [],
      ids: ['conferenceId', 'sessionId', 'connectionId'],
      idRequired: true,
      paging: false,
      variable: false,
    },
  },
  {
    value: 'quality',
    label: 'Quality',
    description: 'Fleet p50/p95 of MOS, loss, RTT, jitter and the share of poor sessions over time',
    fields: summary(),
  },
  {
    value: 'funnel',
    label: 'Funnel',
    description: 'Sessions through each step from start to a stable, media-flowing call',
    fields: summary(),
  },
  {
    value: 'annotations',
    label: 'Annotations',
    description: 'Issues as annotations (time, title, text, tags)',
    fields: summary(),
  },
  {
    value: 'variable',
    label: 'Variable values',
    description: 'Values for a template variable (apps, conferences, browsers, ...)',
    fields: {
      appId: true,
      filters: ['search'],
      ids: ['conferenceId'],
      idRequired: false,
      paging: false,
      variable: true,
    },
  },
];

export const QUERY_TYPE_INFO: Record<QueryType, QueryTypeInfo> = QUERY_TYPES.reduce(
  (acc, info) => ({ ...acc, [info.value]: info }),
  {} as Record<QueryType, QueryTypeInfo>
);

export const GROUP_BY_OPTIONS: ReadonlyArray<{ value: GroupBy; label: string }> = [
  { value: 'browser', label: 'Browser' },
  { value: 'os', label: 'OS' },
  { value: 'country', label: 'Country' },
  { value: 'city', label: 'City' },
  { value: 'appVersion', label: 'App version' },
  { value: 'sdk', label: 'SDK' },
  { value: 'issueCode', label: 'Issue code' },
  { value: 'status', label: 'Status' },
  { value: 'connectionType', label: 'Connection type' },
];

export const METRIC_OPTIONS: ReadonlyArray<{ value: Metric; label: string; description: string }> = [
  { value: 'conferences', label: 'Conferences', description: 'Conferences started' },
  { value: 'sessions', label: 'Sessions', description: 'Sessions started' },
  { value: 'participants', label: 'Participants', description: 'Distinct participants' },
  { value: 'connections', label: 'Connections', description: 'Peer connections created' },
  { value: 'issues', label: 'Issues', description: 'Issues reported' },
  { value: 'failedConnections', label: 'Failed connections', description: 'Connections that failed' },
  { value: 'relayedConnections', label: 'Relayed connections', description: 'Connections through TURN' },
  { value: 'gumErrors', label: 'getUserMedia errors', description: 'Media access errors' },
  { value: 'minutes', label: 'Minutes', description: 'Participant minutes' },
  { value: 'setupP50Ms', label: 'Setup time p50 (ms)', description: 'Median connection setup time' },
  { value: 'setupP95Ms', label: 'Setup time p95 (ms)', description: '95th percentile connection setup time' },
  { value: 'mosP50', label: 'MOS p50', description: 'Median audio MOS' },
  { value: 'lossP95Pct', label: 'Loss p95 (%)', description: '95th percentile packet loss' },
  { value: 'rttP95Ms', label: 'RTT p95 (ms)', description: '95th percentile round-trip time' },
  { value: 'jitterP95Ms', label: 'Jitter p95 (ms)', description: '95th percentile jitter' },
];

export const VARIABLE_KIND_OPTIONS: ReadonlyArray<{ value: VariableKind; label: string }> = [
  { value: 'apps', label: 'Apps' },
  { value: 'conferences', label: 'Conferences' },
  { value: 'participants', label: 'Participants' },
  { value: 'issueCodes', label: 'Issue codes' },
  { value: 'browsers', label: 'Browsers' },
  { value: 'os', label: 'Operating systems' },
  { value: 'countries', label: 'Countries' },
  { value: 'appVersions', label: 'App versions' },
  { value: 'sdks', label: 'SDKs' },
];

/** Resource kind (GET values/<kind>) that suggests values for each list filter; status is a fixed set. */
export const FILTER_VALUE_KIND: Record<Exclude<ListFilterKey, 'status'>, VariableKind> = {
  browser: 'browsers',
  os: 'os',
  country: 'countries',
  appVersion: 'appVersions',
  sdk: 'sdks',
  issueCode: 'issueCodes',
};

export const STATUS_VALUES = ['success', 'warning', 'error', 'ongoing'] as const;

export const FILTER_LABELS: Record<FilterKey, string> = {
  browser: 'Browser',
  os: 'OS',
  country: 'Country',
  appVersion: 'App version',
  sdk: 'SDK',
  issueCode: 'Issue code',
  status: 'Status',
  durationMinSeconds: 'Min duration (s)',
  durationMaxSeconds: 'Max duration (s)',
  participantId: 'Participant id',
  search: 'Search',
};

/** One entry of GET values/<kind>. */
export interface ValueOption {
  text: string;
  value: string;
}

export interface ValuesParams {
  appId?: string;
  search?: string;
  conferenceId?: string;
}

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** jsonData (SPEC §2). */
export interface PeermetricsOptions extends DataSourceJsonData {
  host?: string;
  database?: string;
  user?: string;
  sslMode?: SslMode;
  maxConns?: number;
  queryTimeoutSeconds?: number;
  redisAddresses?: string[];
  redisDB?: number;
  redisTLS?: boolean;
  appIds?: string[];
  organizationId?: string;
  cacheLiveTTLSeconds?: number;
  cacheHistoricTTLSeconds?: number;
  prewarm?: boolean;
  prewarmIntervalSeconds?: number;
  lossPct?: number;
  rttMs?: number;
  jitterMs?: number;
  mos?: number;
}

/** Alias kept short for component props. */
export type Options = PeermetricsOptions;

/** secureJsonData: write-only, never sent back to the browser. */
export interface PeermetricsSecureJsonData {
  password?: string;
  redisPassword?: string;
}

export type SecureJsonData = PeermetricsSecureJsonData;

export const DEFAULT_OPTIONS = {
  sslMode: 'disable' as SslMode,
  queryTimeoutSeconds: 30,
  cacheLiveTTLSeconds: 60,
  cacheHistoricTTLSeconds: 3600,
  prewarm: true,
  prewarmIntervalSeconds: 60,
  lossPct: 5,
  rttMs: 400,
  jitterMs: 30,
  mos: 3.5,
  redisDB: 0,
};
