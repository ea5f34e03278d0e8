import fs from 'fs';
import path from 'path';
import { getPluginJson, hasReadme, PLUGIN_JSON_PATH } from './utils.ts';

const pluginJson = getPluginJson();
const logoPaths: string[] = Array.from(new Set([pluginJson.info?.logos?.large, pluginJson.info?.logos?.small])).filter(
  Boolean
);
const screenshotPaths: string[] = pluginJson.info?.screenshots?.map((s: { path: string }) => s.path) || [];
const exists = (p: string) => fs.existsSync(path.resolve(process.cwd(), p));

// Paths in `from` are relative to the webpack context (src/); `to` is relative to dist/.
export const copyFilePatterns = [
  // plugin.json lives at the repository root.
  { from: `../${PLUGIN_JSON_PATH}`, to: '.' },
  // If src/README.md exists use it; otherwise the root README (when present).
  ...(hasReadme() ? [{ from: 'README.md', to: '.', force: true }] : []),
  ...(!hasReadme() && exists('README.md') ? [{ from: '../README.md', to: '.', force: true }] : []),
  ...(exists('LICENSE') ? [{ from: '../LICENSE', to: '.' }] : []),
  ...(exists('CHANGELOG.md') ? [{ from: '../CHANGELOG.md', to: '.', force: true }] : []),
  { from: '**/query_help.md', to: '.', noErrorOnMissing: true },
  ...logoPaths.map((logoPath) => ({ from: logoPath, to: logoPath })),
  ...screenshotPaths.map((screenshotPath) => ({
    from: screenshotPath,
    to: screenshotPath,
  })),
];
