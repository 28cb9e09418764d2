/**
 * Jest configuration of the browser suite, which `npm test` leaves out because it needs Chromium
 * at /usr/bin/chromium. Run it with `npm run test:browser`.
 */
const base = require('../../jest.config.cjs');

module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/browser'],
  testRegex: '.*\\.browser-spec\\.ts$',
  testTimeout: 120000,
};
