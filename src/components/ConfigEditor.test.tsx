import React, { useState } from 'react';
import { DataSourceSettings } from '@grafana/data';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { of, throwError } from 'rxjs';

import { PeermetricsOptions, PeermetricsSecureJsonData } from '../types';
import { ConfigEditor, parseNumber, splitList } from './ConfigEditor';
import { validateHostPort, validateOptions } from './validation';

const fetchMock = jest.fn();

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: fetchMock }),
}));

type Settings = DataSourceSettings<PeermetricsOptions, PeermetricsSecureJsonData>;

function settings(jsonData: PeermetricsOptions = {}, extra: Partial<Settings> = {}): Settings {
  return {
    id: 0,
    uid: '',
    orgId: 1,
    name: 'Peermetrics',
    type: 'peermetrics-webrtc-datasource',
    typeName: 'Peermetrics WebRTC',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    version: 1,
    jsonData,
    secureJsonFields: {},
    ...extra,
  } as Settings;
}

/** Renders the editor as Grafana does: props follow onOptionsChange. */
function setup(initial: Settings) {
  const onChange = jest.fn();
  let latest = initial;
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(o) => {
          onChange(o);
          latest = o as Settings;
          setOptions(o as Settings);
        }}
      />
    );
  }
  render(<Harness />);
  return { onChange, current: () => latest, user: userEvent.setup() };
}

const byId = (id: string) => document.getElementById(id) as HTMLInputElement;

describe('ConfigEditor', () => {
  beforeEach(() => fetchMock.mockReset());

  it('renders every section with defaults as placeholders', () => {
    setup(settings());
    for (const title of ['PostgreSQL connection', 'Redis cache', 'Scope', 'Cache', 'Quality thresholds']) {
      expect(screen.getByText(title)).toBeInTheDocument();
    }
    expect(byId('config-host')).toHaveAttribute('placeholder', 'localhost:5432');
    expect(byId('config-query-timeout')).toHaveAttribute('placeholder', '30');
    expect(byId('config-cache-live-ttl')).toHaveAttribute('placeholder', '60');
    expect(byId('config-cache-historic-ttl')).toHaveAttribute('placeholder', '3600');
    expect(byId('config-prewarm-interval')).toHaveAttribute('placeholder', '60');
    expect(byId('config-loss-pct')).toHaveAttribute('placeholder', '5');
    expect(byId('config-rtt-ms')).toHaveAttribute('placeholder', '400');
    expect(byId('config-jitter-ms')).toHaveAttribute('placeholder', '30');
    expect(byId('config-mos')).toHaveAttribute('placeholder', '3.5');
    expect(byId('config-prewarm')).toBeChecked();
    expect(byId('config-redis-tls')).not.toBeChecked();
  });

  it('edits text, number, list and switch fields into jsonData', async () => {
    const { user, current } = setup(settings());
    await user.type(byId('config-host'), 'db.example:5433');
    await user.type(byId('config-database'), 'pm');
    await user.type(byId('config-max-conns'), '20');
    await user.type(byId('config-mos'), '3.2');
    await user.type(byId('config-redis-addresses'), 'r1:6379, r2:6379');
    await user.type(byId('config-organization-id'), '0b0e8f2e-7c3a-4d5e-9f10-1a2b3c4d5e6f');
    await user.click(byId('config-redis-tls'));
    await user.click(byId('config-prewarm'));
    expect(current().jsonData).toEqual({
      host: 'db.example:5433',
      database: 'pm',
      maxConns: 20,
      mos: 3.2,
      redisAddresses: ['r1:6379', 'r2:6379'],
      organizationId: '0b0e8f2e-7c3a-4d5e-9f10-1a2b3c4d5e6f',
      redisTLS: true,
      prewarm: false,
    });
  });

  it('clearing a number removes it so the default applies', async () => {
    const { user, current } = setup(settings({ queryTimeoutSeconds: 45 }));
    await user.clear(byId('config-query-timeout'));
    expect(current().jsonData).toEqual({});
  });

  it('sets secrets in secureJsonData', async () => {
    const { user, current } = setup(settings());
    await user.type(byId('config-password'), 's3cret');
    expect(current().secureJsonData).toEqual({ password: 's3cret' });
  });

  it('resetting a configured secret sets secureJsonFields false', async () => {
    const { user, current } = setup(settings({}, { secureJsonFields: { password: true, redisPassword: true } }));
    const resets = screen.getAllByRole('button', { name: 'Reset' });
    expect(resets).toHaveLength(2);
    await user.click(resets[0]);
    expect(current().secureJsonFields).toEqual({ password: false, redisPassword: true });
    expect(current().secureJsonData).toEqual({ password: '' });
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(current().secureJsonFields).toEqual({ password: false, redisPassword: false });
  });

  it('flags invalid values before saving', async () => {
    const { user } = setup(settings());
    await user.type(byId('config-mos'), '7');
    expect(screen.getByText('MOS threshold must be between 1 and 5')).toBeInTheDocument();
    await user.type(byId('config-rtt-ms'), '-1');
    expect(screen.getByText('RTT threshold must be at least 0')).toBeInTheDocument();
    await user.type(byId('config-host'), 'db:99999');
    expect(screen.getByText(/has an invalid port/)).toBeInTheDocument();
    await user.type(byId('config-organization-id'), 'not-a-uuid');
    expect(screen.getByText(/is not a uuid/)).toBeInTheDocument();
  });

  it('accepts a host without port', () => {
    setup(settings({ host: 'postgres' }));
    expect(screen.queryByText(/invalid port/)).toBeNull();
  });

  it('adds custom app ids and lists saved apps from values/apps', async () => {
    fetchMock.mockReturnValue(of({ data: [{ text: 'Demo', value: 'a1b2c3d4-0000-4000-8000-000000000001' }] }));
    const { user, current } = setup(settings({}, { id: 3, uid: 'pm' }));
    const input = byId('config-app-ids');
    await user.click(input);
    await waitFor(() =>
      expect(fetchMock).toHaveBeenCalledWith(
        expect.objectContaining({ url: '/api/datasources/uid/pm/resources/values/apps', showErrorAlert: false })
      )
    );
    await user.click(await screen.findByText('Demo'));
    expect(current().jsonData.appIds).toEqual(['a1b2c3d4-0000-4000-8000-000000000001']);
    await user.type(input, 'a1b2c3d4-0000-4000-8000-000000000002{enter}');
    await waitFor(() =>
      expect(current().jsonData.appIds).toEqual([
        'a1b2c3d4-0000-4000-8000-000000000001',
        'a1b2c3d4-0000-4000-8000-000000000002',
      ])
    );
  });

  it('stays usable when listing apps fails', async () => {
    fetchMock.mockReturnValue(throwError(() => new Error('boom')));
    const { user } = setup(settings({}, { id: 3, uid: 'pm' }));
    await user.click(byId('config-app-ids'));
    expect(await screen.findByText(/Could not list apps/)).toBeInTheDocument();
  });

  it('does not fetch apps for an unsaved data source', async () => {
    const { user } = setup(settings());
    await user.click(byId('config-app-ids'));
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('settings validation', () => {
  it('mirrors the backend limits', () => {
    expect(validateOptions({})).toEqual({});
    expect(
      validateOptions({
        maxConns: 0,
        queryTimeoutSeconds: 0,
        cacheLiveTTLSeconds: 0,
        mos: 0,
        lossPct: 5,
        rttMs: 400,
        jitterMs: 30,
        redisDB: 0,
      })
    ).toEqual({});
    const errors = validateOptions({
      maxConns: 1001,
      queryTimeoutSeconds: 3601,
      redisDB: 16,
      lossPct: 101,
      jitterMs: -1,
      mos: 0.5,
      prewarmIntervalSeconds: 2,
      cacheHistoricTTLSeconds: -5,
      appIds: ['nope'],
      redisAddresses: ['redis:abc'],
    });
    expect(Object.keys(errors).sort()).toEqual(
      [
        'appIds',
        'cacheHistoricTTLSeconds',
        'jitterMs',
        'lossPct',
        'maxConns',
        'mos',
        'prewarmIntervalSeconds',
        'queryTimeoutSeconds',
        'redisAddresses',
        'redisDB',
      ].sort()
    );
  });

  it.each([
    ['localhost', undefined],
    ['localhost:5432', undefined],
    ['[::1]:5432', undefined],
    ['::1', undefined],
    ['db:0', 'invalid port'],
    ['db:port', 'invalid port'],
    [':5432', 'no host'],
    ['postgres://db', 'without spaces or a scheme'],
  ])('host %s', (host, err) => {
    const got = validateHostPort(host);
    if (err) {
      expect(got).toContain(err);
    } else {
      expect(got).toBeUndefined();
    }
  });

  it('parses numbers and lists', () => {
    expect(parseNumber('')).toBeUndefined();
    expect(parseNumber('3.5')).toBe(3.5);
    expect(splitList(' a:1, ,b:2 ,')).toEqual(['a:1', 'b:2']);
  });
});
