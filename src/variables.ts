import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';

import type { DataSource } from './datasource';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { PeermetricsQuery } from './types';

/**
 * Query variables: the editor picks a variable kind (apps, conferences, browsers, ...) and the query runs
 * through the backend as queryType "variable", which answers with `text` and `value` fields.
 */
export class PeermetricsVariableSupport extends CustomVariableSupport<DataSource, PeermetricsQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  getDefaultQuery(): Partial<PeermetricsQuery> {
    return { queryType: 'variable', variable: 'apps' };
  }

  query(request: DataQueryRequest<PeermetricsQuery>): Observable<DataQueryResponse> {
    return this.datasource.query(this.datasource.variableRequest(request));
  }
}
