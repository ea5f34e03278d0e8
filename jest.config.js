// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  transform: {
    // also transform the ESM-only (.mjs) builds some Grafana dependencies ship (d3-color, ...)
    '^.+\\.(t|j)sx?$': swc,
    '^.+\\.mjs$': swc,
  },
};
