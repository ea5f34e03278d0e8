import React, { useState } from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../test/templateSrv';
import { PeermetricsQuery } from '../types';
import { buildVariableQuery, VariableQueryEditor } from './VariableQueryEditor';

const templateSrv = fakeTemplateSrv({ conference: 'c-1' });

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => templateSrv,
}));

function setup(initial: PeermetricsQuery) {
  const getValues = jest.fn(async () => [{ text: 'Demo app', value: 'app-1' }]);
  const ds = { getValues } as unknown as DataSource;
  let latest = initial;
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <VariableQueryEditor
        datasource={ds}
        query={query}
        onRunQuery={jest.fn()}
        onChange={(q) => {
          latest = q;
          setQuery(q);
        }}
      />
    );
  }
  render(<Harness />);
  return { current: () => latest, user: userEvent.setup(), getValues };
}

const byId = (id: string) => document.getElementById(id) as HTMLInputElement;

async function pick(user: ReturnType<typeof userEvent.setup>, id: string, label: string) {
  await user.click(byId(id));
  await user.type(byId(id), label);
  const options = await screen.findAllByRole('option');
  const option = options.find((o) => within(o).queryByText(label, { exact: true }));
  await user.click(option!);
}

describe('VariableQueryEditor', () => {
  it('renders the kind picker, defaulting to apps without an app picker', () => {
    setup({ refId: 'V', queryType: 'variable' });
    expect(screen.getByText('Apps')).toBeInTheDocument();
    expect(byId('variable-app')).toBeNull();
    expect(byId('variable-conference-id')).toBeNull();
    expect(byId('variable-search')).toBeTruthy();
  });

  it('picks a kind and produces a variable query', async () => {
    const { user, current } = setup({ refId: 'V', queryType: 'variable', variable: 'apps' });
    await pick(user, 'variable-kind', 'Browsers');
    expect(current()).toEqual({ refId: 'V', queryType: 'variable', variable: 'browsers' });
  });

  it('participants take an app, a conference id and a search, committed on blur', async () => {
    const { user, current } = setup({ refId: 'V', queryType: 'variable', variable: 'apps' });
    await pick(user, 'variable-kind', 'Participants');
    await user.click(byId('variable-app'));
    await user.click(await screen.findByText('Demo app'));
    await user.type(byId('variable-conference-id'), '$conference');
    await user.tab();
    await user.type(byId('variable-search'), 'ann');
    await user.tab();
    expect(current()).toEqual({
      refId: 'V',
      queryType: 'variable',
      variable: 'participants',
      appId: 'app-1',
      conferenceId: '$conference',
      filters: { search: 'ann' },
    });
  });

  it('buildVariableQuery keeps only the parameters a kind reads', () => {
    expect(buildVariableQuery('V', 'apps', 'app-1', '', 'c-1')).toEqual({
      refId: 'V',
      queryType: 'variable',
      variable: 'apps',
    });
    expect(buildVariableQuery('V', 'conferences', 'app-1', 'daily', 'c-1')).toEqual({
      refId: 'V',
      queryType: 'variable',
      variable: 'conferences',
      appId: 'app-1',
      filters: { search: 'daily' },
    });
  });
});
