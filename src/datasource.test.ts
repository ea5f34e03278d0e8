import { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';

import { DataSource, isQueryComplete } from './datasource';
import { fakeTemplateSrv } from './test/templateSrv';
import { PeermetricsOptions, PeermetricsQuery, QUERY_TYPES } from './types';
import { PeermetricsVariableSupport } from './variables';

const templateSrv = fakeTemplateSrv({
  app: 'a1b2c3d4-0000-4000-8000-000000000001',
  browser: ['Chrome', 'Firefox'],
  os: 'Windows',
  country: ['DE', 'FR', 'US'],
  conference: 'c0000000-0000-4000-8000-000000000001',
  session: 's-1',
  connection: 'k-1',
  participant: 'p-1',
  term: 'standup',
  code: ['ice_failed', 'gum_denied'],
  status: 'error',
  version: '2.1.0',
  durMin: '60',
  durEmpty: '',
  sdk: 'js-2',
  group: 'browser',
  metric: 'mosP50',
  kind: 'browsers',
});

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => templateSrv,
}));

const settings = {
  id: 1,
  uid: 'peermetrics',
  type: 'peermetrics-webrtc-datasource',
  name: 'Peermetrics',
  access: 'proxy',
  readOnly: false,
  jsonData: {},
  meta: { id: 'peermetrics-webrtc-datasource', info: { logos: {} } },
} as unknown as DataSourceInstanceSettings<PeermetricsOptions>;

describe('DataSource.applyTemplateVariables', () => {
  const ds = new DataSource(settings);

  it('replaces a single-value variable', () => {
    const q = ds.applyTemplateVariables({ refId: 'A', queryType: 'overview', appId: '$app' }, {});
    expect(q).toEqual({ refId: 'A', queryType: 'overview', appId: 'a1b2c3d4-0000-4000-8000-000000000001' });
  });

  it('expands a multi-value variable in filters.browser into several list entries', () => {
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'breakdown', groupBy: 'os', filters: { browser: ['$browser'] } },
      {}
    );
    expect(q.filters?.browser).toEqual(['Chrome', 'Firefox']);
  });

  it('keeps literal entries, expands variables among them and drops duplicates and empty values', () => {
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'overview', filters: { browser: ['Safari', '${browser}', 'Chrome', ''] } },
      {}
    );
    expect(q.filters?.browser).toEqual(['Safari', 'Chrome', 'Firefox']);
  });

  it('turns duration variables into numbers and drops empty ones', () => {
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'conferences', filters: { durationMinSeconds: '$durMin', durationMaxSeconds: '$durEmpty' } },
      {}
    );
    expect(q.filters).toEqual({ durationMinSeconds: 60 });
  });

  it('uses scoped variables (repeated panels) before dashboard variables', () => {
    const scoped: ScopedVars = { browser: { text: 'Edge', value: 'Edge' } };
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'overview', filters: { browser: ['$browser'] } },
      scoped
    );
    expect(q.filters?.browser).toEqual(['Edge']);
  });

  it('interpolates every string and list field', () => {
    const query: PeermetricsQuery = {
      refId: 'A',
      queryType: 'timeseries',
      appId: '$app',
      groupBy: '$group' as PeermetricsQuery['groupBy'],
      metric: '${metric}' as PeermetricsQuery['metric'],
      conferenceId: '$conference',
      sessionId: '$session',
      connectionId: '${connection}',
      variable: '$kind' as PeermetricsQuery['variable'],
      limit: 10,
      offset: 20,
      filters: {
        browser: ['$browser'],
        os: ['$os'],
        country: ['$country'],
        appVersion: ['$version'],
        sdk: ['$sdk'],
        issueCode: ['$code'],
        status: ['$status'],
        durationMinSeconds: 60,
        durationMaxSeconds: 600,
        participantId: '$participant',
        search: 'name:$term',
      },
    };
    expect(ds.applyTemplateVariables(query, {})).toEqual({
      refId: 'A',
      queryType: 'timeseries',
      appId: 'a1b2c3d4-0000-4000-8000-000000000001',
      groupBy: 'browser',
      metric: 'mosP50',
      conferenceId: 'c0000000-0000-4000-8000-000000000001',
      sessionId: 's-1',
      connectionId: 'k-1',
      variable: 'browsers',
      limit: 10,
      offset: 20,
      filters: {
        browser: ['Chrome', 'Firefox'],
        os: ['Windows'],
        country: ['DE', 'FR', 'US'],
        appVersion: ['2.1.0'],
        sdk: ['js-2'],
        issueCode: ['ice_failed', 'gum_denied'],
        status: ['error'],
        durationMinSeconds: 60,
        durationMaxSeconds: 600,
        participantId: 'p-1',
        search: 'name:standup',
      },
    });
  });

  it('leaves a query without variables unchanged and adds no fields', () => {
    const query: PeermetricsQuery = { refId: 'B', queryType: 'conferences', limit: 5, filters: { status: ['error'] } };
    expect(ds.applyTemplateVariables(query, {})).toEqual(query);
  });

  it('does not modify the query it is given', () => {
    const query: PeermetricsQuery = { refId: 'A', queryType: 'overview', filters: { browser: ['$browser'] } };
    ds.applyTemplateVariables(query, {});
    expect(query.filters?.browser).toEqual(['$browser']);
  });
});

describe('DataSource.filterQuery', () => {
  const ds = new DataSource(settings);
  it.each([
    [{ queryType: 'overview' }, true],
    [{ queryType: 'timeseries' }, false],
    [{ queryType: 'timeseries', metric: 'sessions' }, true],
    [{ queryType: 'breakdown' }, false],
    [{ queryType: 'breakdown', groupBy: 'country' }, true],
    [{ queryType: 'sessions' }, false],
    [{ queryType: 'sessions', conferenceId: '  ' }, false],
    [{ queryType: 'sessions', conferenceId: '$conference' }, true],
    [{ queryType: 'events', filters: { participantId: 'p-1' } }, true],
    [{ queryType: 'connectionStats', connectionId: 'k-1' }, true],
    [{ queryType: 'connectionStats' }, false],
    [{ queryType: 'variable' }, false],
    [{ queryType: 'variable', variable: 'apps' }, true],
    [{ queryType: 'nope' }, false],
    [{ queryType: 'overview', hide: true }, false],
  ])('%j → %s', (q, expected) => {
    expect(ds.filterQuery({ refId: 'A', ...(q as Partial<PeermetricsQuery>) } as PeermetricsQuery)).toBe(expected);
  });

  it('accepts every query type once its required fields are set', () => {
    for (const t of QUERY_TYPES) {
      const q: PeermetricsQuery = {
        refId: 'A',
        queryType: t.value,
        metric: 'sessions',
        groupBy: 'os',
        conferenceId: 'c',
        variable: 'apps',
      };
      expect(isQueryComplete(q)).toBe(true);
    }
  });
});

describe('DataSource defaults, annotations, variables and values', () => {
  const ds = new DataSource(settings);

  it('defaults to the overview query', () => {
    expect(ds.getDefaultQuery('dashboard' as never)).toEqual({ queryType: 'overview' });
  });

  it('supports annotations through the annotations query type', () => {
    expect(ds.annotations.getDefaultQuery?.()).toEqual({ queryType: 'annotations' });
    const anno = ds.annotations.prepareAnnotation?.({ name: 'Issues', enable: true, iconColor: 'red' } as never);
    expect(anno?.target).toEqual({ refId: 'Anno', queryType: 'annotations' });
    expect(
      ds.annotations.prepareQuery?.({ ...anno!, target: { refId: 'X', queryType: 'annotations', appId: 'a' } })
    ).toEqual({ refId: 'X', queryType: 'annotations', appId: 'a' });
  });

  it('has a custom variable support whose requests are variable queries', () => {
    expect(ds.variables).toBeInstanceOf(PeermetricsVariableSupport);
    expect((ds.variables as PeermetricsVariableSupport).getDefaultQuery()).toEqual({
      queryType: 'variable',
      variable: 'apps',
    });
    const req = ds.variableRequest({ targets: [{ refId: 'V', variable: 'browsers' }] } as never);
    expect(req.targets).toEqual([{ refId: 'V', variable: 'browsers', queryType: 'variable' }]);
  });

  it('getValues calls the values/<kind> resource with interpolated, non-empty parameters', async () => {
    const spy = jest.spyOn(ds, 'getResource').mockResolvedValue([{ text: 'Chrome', value: 'Chrome' }] as never);
    const values = await ds.getValues('browsers', { appId: '$app', search: '', conferenceId: undefined });
    expect(spy).toHaveBeenCalledWith('values/browsers', { appId: 'a1b2c3d4-0000-4000-8000-000000000001' });
    expect(values).toEqual([{ text: 'Chrome', value: 'Chrome' }]);

    spy.mockResolvedValue([{ text: 'Ann', value: 'p-1' }] as never);
    const found = await ds.metricFindQuery({ variable: 'participants', conferenceId: '$conference' });
    expect(spy).toHaveBeenLastCalledWith('values/participants', {
      conferenceId: 'c0000000-0000-4000-8000-000000000001',
    });
    expect(found).toEqual([{ text: 'Ann', value: 'p-1' }]);
  });
});
