import {
  AnnotationQuery,
  AnnotationSupport,
  CoreApp,
  DataQueryRequest,
  DataSourceInstanceSettings,
  MetricFindValue,
  ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import {
  DEFAULT_QUERY,
  Filters,
  LIST_FILTER_KEYS,
  PeermetricsOptions,
  PeermetricsQuery,
  QUERY_TYPE_INFO,
  ValueOption,
  ValuesParams,
  VariableKind,
} from './types';
import { PeermetricsVariableSupport } from './variables';

/** Separator used to split the values of a multi-value variable; cannot appear in a typed value. */
const MULTI_SEPARATOR = '\u001f';

/** Format function for getTemplateSrv().replace: joins multiple values so they can be split again. */
const joinMulti = (value: unknown): string => {
  if (Array.isArray(value)) {
    return value.map((v) => String(v)).join(MULTI_SEPARATOR);
  }
  return value === undefined || value === null ? '' : String(value);
};

/** Is a query complete enough to send to the backend? */
export function isQueryComplete(query: Partial<PeermetricsQuery>): boolean {
  const info = query.queryType ? QUERY_TYPE_INFO[query.queryType] : undefined;
  if (!info) {
    return false;
  }
  const f = info.fields;
  if (f.metric === 'required' && !query.metric) {
    return false;
  }
  if (f.groupBy === 'required' && !query.groupBy) {
    return false;
  }
  if (f.variable && !query.variable) {
    return false;
  }
  if (f.idRequired) {
    const has = f.ids.some((id) =>
      id === 'participantId' ? !!query.filters?.participantId?.trim() : !!query[id]?.trim()
    );
    if (!has) {
      return false;
    }
  }
  return true;
}

export class DataSource extends DataSourceWithBackend<PeermetricsQuery, PeermetricsOptions> {
  annotations: AnnotationSupport<PeermetricsQuery> = {
    getDefaultQuery: () => ({ queryType: 'annotations' }),
    // Older or hand-written annotation JSON may lack a target: run the issues annotation query then.
    prepareAnnotation: (json: AnnotationQuery<PeermetricsQuery>) => {
      if (!json.target) {
        json.target = { refId: 'Anno', queryType: 'annotations' };
      }
      return json;
    },
    prepareQuery: (anno: AnnotationQuery<PeermetricsQuery>) => {
      const target = anno.target;
      return { ...target, refId: target?.refId || 'Anno', queryType: target?.queryType || 'annotations' };
    },
  };

  constructor(instanceSettings: DataSourceInstanceSettings<PeermetricsOptions>) {
    super(instanceSettings);
    this.variables = new PeermetricsVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<PeermetricsQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: PeermetricsQuery): boolean {
    if (query.hide) {
      return false;
    }
    return isQueryComplete(query);
  }

  /** Interpolates one string; undefined stays undefined. */
  private interpolateString(value: string | undefined, scopedVars: ScopedVars): string | undefined {
    if (value === undefined || value === null) {
      return value;
    }
    // A multi-value variable in a single-valued field becomes a comma separated list (Grafana's default).
    return getTemplateSrv().replace(value, scopedVars, 'csv');
  }

  /** Interpolates each entry of a list; a multi-value variable expands into several entries. */
  private interpolateList(values: string[] | undefined, scopedVars: ScopedVars): string[] | undefined {
    if (!values) {
      return values;
    }
    const out: string[] = [];
    for (const v of values) {
      const replaced = getTemplateSrv().replace(v, scopedVars, joinMulti);
      for (const part of replaced.split(MULTI_SEPARATOR)) {
        if (part !== '' && !out.includes(part)) {
          out.push(part);
        }
      }
    }
    return out;
  }

  private interpolateFilters(filters: Filters | undefined, scopedVars: ScopedVars): Filters | undefined {
    if (!filters) {
      return filters;
    }
    const out: Filters = { ...filters };
    for (const key of LIST_FILTER_KEYS) {
      if (filters[key] !== undefined) {
        out[key] = this.interpolateList(filters[key], scopedVars);
      }
    }
    if (filters.participantId !== undefined) {
      out.participantId = this.interpolateString(filters.participantId, scopedVars);
    }
    if (filters.search !== undefined) {
      out.search = this.interpolateString(filters.search, scopedVars);
    }
    // Durations may come from variables ("$durationMin"); an empty variable means no bound, and a
    // value that is not a number is passed on for the backend to reject with a clear message.
    for (const key of ['durationMinSeconds', 'durationMaxSeconds'] as const) {
      const v = filters[key];
      if (typeof v !== 'string') {
        continue;
      }
      const s = (this.interpolateString(v, scopedVars) ?? '').trim();
      if (s === '') {
        delete out[key];
      } else {
        out[key] = Number.isFinite(Number(s)) ? Number(s) : s;
      }
    }
    return out;
  }

  applyTemplateVariables(query: PeermetricsQuery, scopedVars: ScopedVars): PeermetricsQuery {
    const q: PeermetricsQuery = { ...query };
    for (const key of ['appId', 'conferenceId', 'sessionId', 'connectionId'] as const) {
      if (q[key] !== undefined) {
        q[key] = this.interpolateString(q[key], scopedVars);
      }
    }
    // groupBy, metric and variable are enumerations, but a dashboard may drive them with a variable too.
    if (q.groupBy !== undefined) {
      q.groupBy = this.interpolateString(q.groupBy, scopedVars) as PeermetricsQuery['groupBy'];
    }
    if (q.metric !== undefined) {
      q.metric = this.interpolateString(q.metric, scopedVars) as PeermetricsQuery['metric'];
    }
    if (q.variable !== undefined) {
      q.variable = this.interpolateString(q.variable, scopedVars) as PeermetricsQuery['variable'];
    }
    if (q.filters !== undefined) {
      q.filters = this.interpolateFilters(q.filters, scopedVars);
    }
    return q;
  }

  /**
   * Values for pickers and variables: GET resources values/<kind> → [{text, value}].
   * Template variables in the parameters are interpolated; empty parameters are not sent.
   */
  async getValues(kind: VariableKind, params: ValuesParams = {}, scopedVars: ScopedVars = {}): Promise<ValueOption[]> {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      const v = this.interpolateString(value as string | undefined, scopedVars);
      if (v) {
        query[key] = v;
      }
    }
    const result = await this.getResource<ValueOption[]>('values/' + kind, query);
    return Array.isArray(result) ? result : [];
  }

  /** Legacy variable API (used by older Grafana versions and by callers that ask for metric values). */
  async metricFindQuery(
    query: Partial<PeermetricsQuery> | string,
    options?: { scopedVars?: ScopedVars }
  ): Promise<MetricFindValue[]> {
    const q = typeof query === 'string' ? { variable: query as VariableKind } : query;
    if (!q.variable) {
      return [];
    }
    const values = await this.getValues(
      q.variable,
      { appId: q.appId, search: q.filters?.search, conferenceId: q.conferenceId },
      options?.scopedVars
    );
    return values.map((v) => ({ text: v.text, value: v.value }));
  }

  /** Runs variable queries through the backend query path (queryType "variable"). */
  variableRequest(request: DataQueryRequest<PeermetricsQuery>): DataQueryRequest<PeermetricsQuery> {
    return {
      ...request,
      targets: request.targets.map((t) => ({ ...t, queryType: 'variable' as const })),
    };
  }
}
