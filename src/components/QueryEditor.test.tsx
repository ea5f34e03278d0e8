import React, { useState } from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../test/templateSrv';
import { PeermetricsQuery, QUERY_TYPES, QueryType } from '../types';
import { QueryEditor, withQueryType } from './QueryEditor';

const templateSrv = fakeTemplateSrv({ browser: ['Chrome', 'Firefox'], conference: 'c-1' });

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => templateSrv,
}));

function makeDatasource() {
  const getValues = jest.fn(async (kind: string) => {
    switch (kind) {
      case 'apps':
        return [{ text: 'Demo app', value: 'app-1' }];
      case 'browsers':
        return [
          { text: 'Chrome', value: 'Chrome' },
          { text: 'Safari', value: 'Safari' },
        ];
      default:
        return [];
    }
  });
  return { ds: { getValues } as unknown as DataSource, getValues };
}

/** Renders the editor the way Grafana does: it re-renders with the query passed to onChange. */
function setup(initial: PeermetricsQuery) {
  const { ds, getValues } = makeDatasource();
  const onRunQuery = jest.fn();
  const changes: PeermetricsQuery[] = [];
  let latest = initial;
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        datasource={ds}
        query={query}
        onRunQuery={onRunQuery}
        onChange={(q) => {
          changes.push(q);
          latest = q;
          setQuery(q);
        }}
      />
    );
  }
  render(<Harness />);
  return { onRunQuery, getValues, changes, current: () => latest, user: userEvent.setup() };
}

const byId = (id: string) => document.getElementById(id) as HTMLInputElement;

/** Picks an option of a Grafana Select: types its label, then clicks the option with exactly that label. */
async function pick(user: ReturnType<typeof userEvent.setup>, id: string, label: string) {
  const input = byId(id);
  expect(input).toBeTruthy();
  await user.click(input);
  await user.type(input, label);
  const options = await screen.findAllByRole('option');
  const option = options.find((o) => within(o).queryByText(label, { exact: true }));
  expect(option).toBeTruthy();
  await user.click(option!);
}

describe('QueryEditor', () => {
  it('renders overview with app and filters but no ids, metric, group or paging', () => {
    setup({ refId: 'A', queryType: 'overview' });
    expect(screen.getByText(/One row of fleet totals/)).toBeInTheDocument();
    expect(byId('query-app')).toBeTruthy();
    expect(byId('query-filter-browser')).toBeTruthy();
    expect(byId('query-filter-status')).toBeTruthy();
    expect(byId('query-filter-durationMinSeconds')).toBeTruthy();
    expect(byId('query-metric')).toBeNull();
    expect(byId('query-group-by')).toBeNull();
    expect(byId('query-conferenceId')).toBeNull();
    expect(byId('query-limit')).toBeNull();
    expect(byId('query-filter-search')).toBeNull();
  });

  const expectedFields: Record<QueryType, string[]> = {
    overview: ['query-app', 'query-filter-browser'],
    conferenceStatus: ['query-app', 'query-filter-os'],
    timeseries: ['query-app', 'query-metric', 'query-group-by', 'query-filter-country'],
    issueSummary: ['query-app', 'query-filter-issueCode'],
    gumErrors: ['query-app', 'query-filter-sdk'],
    durationHistogram: ['query-app', 'query-filter-appVersion'],
    participantHistogram: ['query-app', 'query-filter-browser'],
    setupTimeHistogram: ['query-app', 'query-filter-browser'],
    connectionTypes: ['query-app', 'query-filter-browser'],
    breakdown: ['query-app', 'query-group-by', 'query-filter-browser'],
    conferences: [
      'query-app',
      'query-filter-status',
      'query-filter-issueCode',
      'query-filter-durationMinSeconds',
      'query-filter-durationMaxSeconds',
      'query-filter-search',
      'query-filter-participantId',
      'query-limit',
      'query-offset',
    ],
    participants: ['query-conferenceId', 'query-sessionId', 'query-connectionId', 'query-participantId', 'query-limit'],
    sessions: ['query-conferenceId', 'query-participantId', 'query-limit', 'query-offset'],
    connections: ['query-conferenceId', 'query-sessionId', 'query-limit'],
    issues: ['query-conferenceId', 'query-connectionId', 'query-limit'],
    events: ['query-conferenceId', 'query-participantId', 'query-offset'],
    connectionStats: ['query-conferenceId', 'query-sessionId', 'query-connectionId'],
    quality: ['query-app', 'query-filter-browser'],
    funnel: ['query-app', 'query-filter-browser'],
    annotations: ['query-app', 'query-filter-issueCode'],
    variable: ['query-variable', 'query-app', 'query-filter-search', 'query-conferenceId'],
  };
  const absentFields: Partial<Record<QueryType, string[]>> = {
    participants: ['query-app', 'query-filter-browser', 'query-metric'],
    connectionStats: ['query-limit', 'query-participantId', 'query-app'],
    breakdown: ['query-metric', 'query-limit'],
    conferences: ['query-conferenceId', 'query-group-by'],
    variable: ['query-filter-browser', 'query-limit'],
  };

  it.each(QUERY_TYPES.map((t) => t.value))('renders the fields of %s', (queryType) => {
    setup({ refId: 'A', queryType });
    for (const id of expectedFields[queryType]) {
      expect(byId(id)).toBeTruthy();
    }
    for (const id of absentFields[queryType] ?? []) {
      expect(byId(id)).toBeNull();
    }
  });

  // Every query type built through the editor: pick the type, fill the required fields, and compare the
  // JSON with what the backend parses (SPEC §3). The starting query carries fields of several types, so this
  // also checks that a type change keeps only the fields the new type reads.
  const start: PeermetricsQuery = {
    refId: 'A',
    queryType: 'overview',
    appId: 'app-1',
    filters: { browser: ['Chrome'], status: ['error'] },
  };
  const label = (t: QueryType) => QUERY_TYPES.find((q) => q.value === t)!.label;
  type Filler = (user: ReturnType<typeof userEvent.setup>) => Promise<void>;
  const typeId =
    (id: string, text: string): Filler =>
    async (user) => {
      await user.type(byId(id), text);
      await user.tab();
    };
  const summary = (queryType: QueryType) => ({ ...start, queryType });
  const cases: Array<[QueryType, Filler | undefined, PeermetricsQuery]> = [
    ['overview', undefined, summary('overview')],
    ['conferenceStatus', undefined, summary('conferenceStatus')],
    [
      'timeseries',
      async (user) => {
        await pick(user, 'query-metric', 'MOS p50');
        await pick(user, 'query-group-by', 'Country');
      },
      { ...summary('timeseries'), metric: 'mosP50', groupBy: 'country' },
    ],
    ['issueSummary', undefined, summary('issueSummary')],
    ['gumErrors', undefined, summary('gumErrors')],
    ['durationHistogram', undefined, summary('durationHistogram')],
    ['participantHistogram', undefined, summary('participantHistogram')],
    ['setupTimeHistogram', undefined, summary('setupTimeHistogram')],
    ['connectionTypes', undefined, summary('connectionTypes')],
    [
      'breakdown',
      async (user) => pick(user, 'query-group-by', 'Connection type'),
      { ...summary('breakdown'), groupBy: 'connectionType' },
    ],
    [
      'conferences',
      async (user) => {
        await typeId('query-filter-search', 'standup')(user);
        await typeId('query-filter-durationMinSeconds', '60')(user);
        await typeId('query-limit', '50')(user);
        await typeId('query-offset', '100')(user);
      },
      {
        refId: 'A',
        queryType: 'conferences',
        appId: 'app-1',
        filters: { browser: ['Chrome'], status: ['error'], search: 'standup', durationMinSeconds: 60 },
        limit: 50,
        offset: 100,
      },
    ],
    [
      'participants',
      typeId('query-conferenceId', '$conference'),
      { refId: 'A', queryType: 'participants', conferenceId: '$conference' },
    ],
    [
      'sessions',
      typeId('query-participantId', 'p-1'),
      { refId: 'A', queryType: 'sessions', filters: { participantId: 'p-1' } },
    ],
    [
      'connections',
      async (user) => {
        await typeId('query-sessionId', 's-1')(user);
        await typeId('query-limit', '10')(user);
      },
      { refId: 'A', queryType: 'connections', sessionId: 's-1', limit: 10 },
    ],
    ['issues', typeId('query-connectionId', 'k-1'), { refId: 'A', queryType: 'issues', connectionId: 'k-1' }],
    ['events', typeId('query-conferenceId', 'c-9'), { refId: 'A', queryType: 'events', conferenceId: 'c-9' }],
    [
      'connectionStats',
      typeId('query-connectionId', '$connection'),
      { refId: 'A', queryType: 'connectionStats', connectionId: '$connection' },
    ],
    ['quality', undefined, summary('quality')],
    ['funnel', undefined, summary('funnel')],
    ['annotations', undefined, summary('annotations')],
    [
      'variable',
      async (user) => pick(user, 'query-variable', 'Browsers'),
      { refId: 'A', queryType: 'variable', appId: 'app-1', variable: 'browsers' },
    ],
  ];

  it('has a case for every query type', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual(QUERY_TYPES.map((t) => t.value).sort());
  });

  it.each(cases)('builds a %s query through the editor', async (queryType, fill, expected) => {
    const { user, current, onRunQuery } = setup(start);
    if (queryType !== 'overview') {
      await pick(user, 'query-type', label(queryType));
    }
    await waitFor(() => expect(current().queryType).toBe(queryType));
    if (fill) {
      await fill(user);
    }
    expect(current()).toEqual(expected);
    // The JSON as the backend receives it.
    expect(JSON.parse(JSON.stringify(current()))).toEqual(expected);
    if (queryType !== 'overview') {
      expect(onRunQuery).toHaveBeenCalled();
    }
  });

  it('accepts a typed template variable and suggested values in a filter', async () => {
    const { user, current, getValues, onRunQuery } = setup({ refId: 'A', queryType: 'overview' });
    const input = byId('query-filter-browser');
    await user.click(input);
    await waitFor(() => expect(getValues).toHaveBeenCalledWith('browsers', { appId: undefined }));
    await user.type(input, '$browser{enter}');
    await waitFor(() => expect(current().filters?.browser).toEqual(['$browser']));
    await user.type(input, 'Safari{enter}');
    await waitFor(() => expect(current().filters?.browser).toEqual(['$browser', 'Safari']));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('picks the app from values/apps', async () => {
    const { user, current } = setup({ refId: 'A', queryType: 'overview' });
    await user.click(byId('query-app'));
    await screen.findByText('Demo app');
    await user.click(screen.getByText('Demo app'));
    expect(current().appId).toBe('app-1');
  });

  it('runs text inputs on blur, not on every key stroke', async () => {
    const { user, onRunQuery, current } = setup({ refId: 'A', queryType: 'sessions' });
    await user.type(byId('query-conferenceId'), 'abc');
    expect(current().conferenceId).toBe('abc');
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('flags a limit out of range', async () => {
    const { user } = setup({ refId: 'A', queryType: 'conferences' });
    await user.type(byId('query-limit'), '20000');
    expect(screen.getByText(/Limit must be a whole number between 1 and 10000/)).toBeInTheDocument();
  });

  it('withQueryType drops fields the new type does not read', () => {
    const q: PeermetricsQuery = {
      refId: 'A',
      queryType: 'timeseries',
      metric: 'sessions',
      groupBy: 'os',
      appId: 'x',
      conferenceId: 'c',
      limit: 5,
      filters: { browser: ['Chrome'], participantId: 'p' },
    };
    expect(withQueryType(q, 'overview')).toEqual({
      refId: 'A',
      queryType: 'overview',
      appId: 'x',
      filters: { browser: ['Chrome'] },
    });
    expect(withQueryType(q, 'events')).toEqual({
      refId: 'A',
      queryType: 'events',
      conferenceId: 'c',
      limit: 5,
      filters: { participantId: 'p' },
    });
  });
});
