import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { PeermetricsOptions, PeermetricsQuery, PeermetricsSecureJsonData } from './types';

// Annotations: DataSource.annotations (queryType "annotations").
// Query variables: DataSource.variables, a CustomVariableSupport with VariableQueryEditor (queryType "variable").
export const plugin = new DataSourcePlugin<DataSource, PeermetricsQuery, PeermetricsOptions, PeermetricsSecureJsonData>(
  DataSource
)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
