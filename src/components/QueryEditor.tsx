import React, { ChangeEvent } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select, Stack, Text } from '@grafana/ui';

import type { DataSource } from '../datasource';
import {
  DEFAULT_LIMIT,
  FILTER_LABELS,
  FILTER_VALUE_KIND,
  FilterKey,
  Filters,
  GROUP_BY_OPTIONS,
  GroupBy,
  IdField,
  ListFilterKey,
  MAX_LIMIT,
  METRIC_OPTIONS,
  Metric,
  PeermetricsOptions,
  PeermetricsQuery,
  QUERY_TYPES,
  QUERY_TYPE_INFO,
  QueryType,
  STATUS_VALUES,
  VARIABLE_KIND_OPTIONS,
  VariableKind,
} from '../types';
import { MultiValueSelect, SingleValueSelect } from './ValueSelect';

export type Props = QueryEditorProps<DataSource, PeermetricsQuery, PeermetricsOptions>;

const LABEL_WIDTH = 18;

const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = QUERY_TYPES.map((t) => ({
  value: t.value,
  label: t.label,
  description: t.description,
}));

const ID_LABELS: Record<IdField, string> = {
  conferenceId: 'Conference id',
  sessionId: 'Session id',
  connectionId: 'Connection id',
  participantId: 'Participant id',
};

/** Drops empty values and empty objects so that the saved JSON stays minimal. */
function cleanFilters(filters: Filters): Filters | undefined {
  const out: Filters = {};
  for (const [k, v] of Object.entries(filters) as Array<[FilterKey, unknown]>) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) {
      continue;
    }
    (out as Record<string, unknown>)[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A query of another type that keeps only the fields the new type reads (SPEC §3), so that the JSON sent to
 * the backend never carries stale fields from an earlier type.
 */
export function withQueryType(query: PeermetricsQuery, queryType: QueryType): PeermetricsQuery {
  const f = QUERY_TYPE_INFO[queryType].fields;
  const next: PeermetricsQuery = { refId: query.refId, queryType };
  if (query.datasource !== undefined) {
    next.datasource = query.datasource;
  }
  if (query.hide !== undefined) {
    next.hide = query.hide;
  }
  if (f.appId && query.appId) {
    next.appId = query.appId;
  }
  const filters: Filters = {};
  for (const key of f.filters) {
    if (query.filters?.[key] !== undefined) {
      (filters as Record<string, unknown>)[key] = query.filters[key];
    }
  }
  if (f.ids.includes('participantId') && query.filters?.participantId) {
    filters.participantId = query.filters.participantId;
  }
  const cleaned = cleanFilters(filters);
  if (cleaned) {
    next.filters = cleaned;
  }
  if (f.groupBy && query.groupBy) {
    next.groupBy = query.groupBy;
  }
  if (f.metric && query.metric) {
    next.metric = query.metric;
  }
  for (const id of ['conferenceId', 'sessionId', 'connectionId'] as const) {
    if (f.ids.includes(id) && query[id]) {
      next[id] = query[id];
    }
  }
  if (f.paging) {
    if (query.limit !== undefined) {
      next.limit = query.limit;
    }
    if (query.offset !== undefined) {
      next.offset = query.offset;
    }
  }
  if (f.variable) {
    next.variable = query.variable ?? 'apps';
  }
  return next;
}

function parseNumber(text: string): number | undefined {
  if (text.trim() === '') {
    return undefined;
  }
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

export function limitError(limit: number | undefined): string | undefined {
  if (limit === undefined) {
    return undefined;
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return `Limit must be a whole number between 1 and ${MAX_LIMIT}`;
  }
  return undefined;
}

export function QueryEditor(props: Props) {
  const { query, onChange, onRunQuery, datasource } = props;
  const queryType: QueryType = query.queryType && QUERY_TYPE_INFO[query.queryType] ? query.queryType : 'overview';
  const info = QUERY_TYPE_INFO[queryType];
  const f = info.fields;

  const update = (patch: Partial<PeermetricsQuery>, run: boolean) => {
    const next: PeermetricsQuery = { ...query, queryType, ...patch };
    for (const key of Object.keys(patch) as Array<keyof PeermetricsQuery>) {
      if (next[key] === undefined) {
        delete next[key];
      }
    }
    onChange(next);
    if (run) {
      onRunQuery();
    }
  };

  const updateFilters = (patch: Partial<Filters>, run: boolean) => {
    update({ filters: cleanFilters({ ...query.filters, ...patch }) }, run);
  };

  const valuesParams = { appId: query.appId };

  const textInput = (
    id: string,
    value: string | undefined,
    set: (v: string | undefined) => void,
    placeholder: string,
    width = 40
  ) => (
    <Input
      id={id}
      width={width}
      value={value ?? ''}
      placeholder={placeholder}
      onChange={(e: ChangeEvent<HTMLInputElement>) =>
        set(e.currentTarget.value === '' ? undefined : e.currentTarget.value)
      }
      onBlur={() => onRunQuery()}
    />
  );

  const listFilter = (key: ListFilterKey) => (
    <InlineField key={key} label={FILTER_LABELS[key]} labelWidth={LABEL_WIDTH} htmlFor={`query-filter-${key}`}>
      <MultiValueSelect
        inputId={`query-filter-${key}`}
        datasource={datasource}
        kind={key === 'status' ? undefined : FILTER_VALUE_KIND[key]}
        fixed={key === 'status' ? [...STATUS_VALUES] : undefined}
        params={valuesParams}
        value={query.filters?.[key]}
        onChange={(v) => updateFilters({ [key]: v }, true)}
      />
    </InlineField>
  );

  const numberFilter = (key: 'durationMinSeconds' | 'durationMaxSeconds') => (
    <InlineField
      key={key}
      label={FILTER_LABELS[key]}
      labelWidth={LABEL_WIDTH}
      invalid={Number(query.filters?.[key] ?? 0) < 0}
      error="Must not be negative"
    >
      <Input
        id={`query-filter-${key}`}
        type="number"
        width={14}
        min={0}
        value={query.filters?.[key] ?? ''}
        placeholder="Any"
        onChange={(e: ChangeEvent<HTMLInputElement>) =>
          updateFilters({ [key]: parseNumber(e.currentTarget.value) }, false)
        }
        onBlur={() => onRunQuery()}
      />
    </InlineField>
  );

  const listKeys = f.filters.filter((k): k is ListFilterKey =>
    ['browser', 'os', 'country', 'appVersion', 'sdk', 'issueCode', 'status'].includes(k)
  );
  const limitErr = limitError(query.limit);

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH} htmlFor="query-type" grow>
          <Select<QueryType>
            inputId="query-type"
            width={30}
            options={QUERY_TYPE_OPTIONS}
            value={queryType}
            onChange={(v) => {
              if (v.value) {
                onChange(withQueryType(query, v.value));
                onRunQuery();
              }
            }}
          />
        </InlineField>
      </InlineFieldRow>
      <Text color="secondary" variant="bodySmall">
        {info.description}
      </Text>

      {(f.appId || f.metric || f.groupBy || f.variable) && (
        <InlineFieldRow>
          {f.variable && (
            <InlineField label="Values of" labelWidth={LABEL_WIDTH} htmlFor="query-variable">
              <Select<VariableKind>
                inputId="query-variable"
                width={30}
                options={[...VARIABLE_KIND_OPTIONS]}
                value={query.variable ?? null}
                onChange={(v) => update({ variable: v.value }, true)}
              />
            </InlineField>
          )}
          {f.appId && (
            <InlineField label="App" labelWidth={LABEL_WIDTH} htmlFor="query-app" tooltip="Narrows within the scope">
              <SingleValueSelect
                inputId="query-app"
                datasource={datasource}
                kind="apps"
                value={query.appId}
                placeholder="All apps in scope"
                onChange={(v) => update({ appId: v }, true)}
              />
            </InlineField>
          )}
          {f.metric && (
            <InlineField
              label="Metric"
              labelWidth={LABEL_WIDTH}
              htmlFor="query-metric"
              invalid={!query.metric}
              error="A metric is required"
            >
              <Select<Metric>
                inputId="query-metric"
                width={30}
                options={[...METRIC_OPTIONS]}
                value={query.metric ?? null}
                placeholder="Choose a metric"
                onChange={(v) => update({ metric: v.value }, true)}
              />
            </InlineField>
          )}
          {f.groupBy && (
            <InlineField
              label="Group by"
              labelWidth={LABEL_WIDTH}
              htmlFor="query-group-by"
              invalid={f.groupBy === 'required' && !query.groupBy}
              error="A group is required"
            >
              <Select<GroupBy>
                inputId="query-group-by"
                width={30}
                options={[...GROUP_BY_OPTIONS]}
                value={query.groupBy ?? null}
                isClearable={f.groupBy === 'optional'}
                placeholder={f.groupBy === 'optional' ? 'No grouping' : 'Choose a group'}
                onChange={(v: SelectableValue<GroupBy> | null) => update({ groupBy: v?.value }, true)}
              />
            </InlineField>
          )}
        </InlineFieldRow>
      )}

      {f.ids.length > 0 && (
        <InlineFieldRow>
          {f.ids.map((id) => (
            <InlineField
              key={id}
              label={ID_LABELS[id]}
              labelWidth={LABEL_WIDTH}
              tooltip={f.idRequired ? 'Set one of the ids (a uuid or a $variable)' : undefined}
            >
              {id === 'participantId'
                ? textInput(
                    `query-${id}`,
                    query.filters?.participantId,
                    (v) => updateFilters({ participantId: v }, false),
                    'uuid or $participant'
                  )
                : textInput(
                    `query-${id}`,
                    query[id],
                    (v) => update({ [id]: v }, false),
                    `uuid or $${id.replace('Id', '')}`
                  )}
            </InlineField>
          ))}
        </InlineFieldRow>
      )}

      {listKeys.length > 0 && <InlineFieldRow>{listKeys.map(listFilter)}</InlineFieldRow>}

      {(f.filters.includes('durationMinSeconds') ||
        f.filters.includes('participantId') ||
        f.filters.includes('search')) && (
        <InlineFieldRow>
          {f.filters.includes('durationMinSeconds') && numberFilter('durationMinSeconds')}
          {f.filters.includes('durationMaxSeconds') && numberFilter('durationMaxSeconds')}
          {f.filters.includes('participantId') && !f.ids.includes('participantId') && (
            <InlineField label={FILTER_LABELS.participantId} labelWidth={LABEL_WIDTH}>
              {textInput(
                'query-filter-participantId',
                query.filters?.participantId,
                (v) => updateFilters({ participantId: v }, false),
                'uuid or $participant'
              )}
            </InlineField>
          )}
          {f.filters.includes('search') && (
            <InlineField label={FILTER_LABELS.search} labelWidth={LABEL_WIDTH} tooltip="Matches names and ids">
              {textInput(
                'query-filter-search',
                query.filters?.search,
                (v) => updateFilters({ search: v }, false),
                'Text to search',
                30
              )}
            </InlineField>
          )}
        </InlineFieldRow>
      )}

      {f.paging && (
        <InlineFieldRow>
          <InlineField label="Limit" labelWidth={LABEL_WIDTH} invalid={!!limitErr} error={limitErr}>
            <Input
              id="query-limit"
              type="number"
              width={14}
              min={1}
              max={MAX_LIMIT}
              value={query.limit ?? ''}
              placeholder={String(DEFAULT_LIMIT)}
              onChange={(e: ChangeEvent<HTMLInputElement>) =>
                update({ limit: parseNumber(e.currentTarget.value) }, false)
              }
              onBlur={() => onRunQuery()}
            />
          </InlineField>
          <InlineField
            label="Offset"
            labelWidth={LABEL_WIDTH}
            invalid={(query.offset ?? 0) < 0}
            error="Offset must not be negative"
          >
            <Input
              id="query-offset"
              type="number"
              width={14}
              min={0}
              value={query.offset ?? ''}
              placeholder="0"
              onChange={(e: ChangeEvent<HTMLInputElement>) =>
                update({ offset: parseNumber(e.currentTarget.value) }, false)
              }
              onBlur={() => onRunQuery()}
            />
          </InlineField>
        </InlineFieldRow>
      )}
    </Stack>
  );
}
