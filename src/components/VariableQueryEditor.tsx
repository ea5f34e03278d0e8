import React, { ChangeEvent, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select, Stack } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { PeermetricsOptions, PeermetricsQuery, VARIABLE_KIND_OPTIONS, VariableKind } from '../types';
import { SingleValueSelect } from './ValueSelect';

export type VariableEditorProps = QueryEditorProps<DataSource, PeermetricsQuery, PeermetricsOptions, PeermetricsQuery>;

const LABEL_WIDTH = 18;

/** Builds the variable query: queryType "variable", the kind, and only the parameters it reads. */
export function buildVariableQuery(
  refId: string,
  variable: VariableKind,
  appId?: string,
  search?: string,
  conferenceId?: string
): PeermetricsQuery {
  const q: PeermetricsQuery = { refId, queryType: 'variable', variable };
  if (appId && variable !== 'apps') {
    q.appId = appId;
  }
  if (search) {
    q.filters = { search };
  }
  if (conferenceId && variable === 'participants') {
    q.conferenceId = conferenceId;
  }
  return q;
}

export function VariableQueryEditor(props: VariableEditorProps) {
  const { query, onChange, datasource } = props;
  const refId = query.refId || 'PeermetricsVariableQuery';
  const kind: VariableKind = query.variable ?? 'apps';
  // Text fields are committed on blur so that the variable is not re-queried on every key stroke.
  const [search, setSearch] = useState(query.filters?.search ?? '');
  const [conferenceId, setConferenceId] = useState(query.conferenceId ?? '');

  const commit = (patch: {
    variable?: VariableKind;
    appId?: string | null;
    search?: string;
    conferenceId?: string;
  }) => {
    onChange(
      buildVariableQuery(
        refId,
        patch.variable ?? kind,
        patch.appId === null ? undefined : (patch.appId ?? query.appId),
        patch.search ?? search,
        patch.conferenceId ?? conferenceId
      )
    );
  };

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField label="Values of" labelWidth={LABEL_WIDTH} htmlFor="variable-kind">
          <Select<VariableKind>
            inputId="variable-kind"
            width={30}
            options={[...VARIABLE_KIND_OPTIONS]}
            value={kind}
            onChange={(v) => v.value && commit({ variable: v.value })}
          />
        </InlineField>
      </InlineFieldRow>
      {kind !== 'apps' && (
        <InlineFieldRow>
          <InlineField label="App" labelWidth={LABEL_WIDTH} htmlFor="variable-app" tooltip="Optional: one app only">
            <SingleValueSelect
              inputId="variable-app"
              datasource={datasource}
              kind="apps"
              value={query.appId}
              placeholder="All apps in scope"
              onChange={(v) => commit({ appId: v ?? null })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {kind === 'participants' && (
        <InlineFieldRow>
          <InlineField label="Conference id" labelWidth={LABEL_WIDTH} tooltip="Only participants of this conference">
            <Input
              id="variable-conference-id"
              width={40}
              value={conferenceId}
              placeholder="uuid or $conference"
              onChange={(e: ChangeEvent<HTMLInputElement>) => setConferenceId(e.currentTarget.value)}
              onBlur={() => commit({})}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      <InlineFieldRow>
        <InlineField label="Search" labelWidth={LABEL_WIDTH} tooltip="Only values containing this text">
          <Input
            id="variable-search"
            width={40}
            value={search}
            placeholder="Any"
            onChange={(e: ChangeEvent<HTMLInputElement>) => setSearch(e.currentTarget.value)}
            onBlur={() => commit({})}
          />
        </InlineField>
      </InlineFieldRow>
    </Stack>
  );
}
