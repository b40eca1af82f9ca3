// Lighthouse (performance and accessibility) for the sign-in page and the
// accounts list of a running Rollcall, in Debian's Chromium; `cargo xtask
// bench` runs it against a fresh release server. Prints one table.
//
// Environment: BASE_URL, ORG, USERNAME, PASSWORD (an administrator of ORG),
// CHROME_PATH.

import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';

const base = process.env.BASE_URL;
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const login = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ tenant: process.env.ORG, username: process.env.USERNAME, password: process.env.PASSWORD }),
  });
  if (!login.ok) throw new Error(`sign-in for the accounts list failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers.getSetCookie()[0].split(';')[0];
  const rows = [];
  let version = '';
  for (const [page, path, signedIn] of [['sign-in', '/', false], ['accounts list', '/accounts', true]]) {
    for (const [device, config] of [['mobile (Lighthouse default: slow 4G, 4x CPU)', undefined], ['desktop', desktopConfig]]) {
      const flags = {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility'],
        extraHeaders: signedIn ? { Cookie: cookie } : undefined,
      };
      const { lhr } = await lighthouse(`${base}${path}`, flags, config);
      version = lhr.lighthouseVersion;
      const score = (c) => Math.round(lhr.categories[c].score * 100);
      const ms = (a) => Math.round(lhr.audits[a].numericValue);
      rows.push({ page, device, performance: score('performance'), accessibility: score('accessibility'),
        fcp: ms('first-contentful-paint'), lcp: ms('largest-contentful-paint'), tbt: ms('total-blocking-time') });
      const failed = Object.values(lhr.audits)
        .filter((a) => a.score === 0 && lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id))
        .map((a) => a.id);
      if (failed.length) console.log(`  ${page}, ${device}: accessibility audits failed: ${failed.join(', ')}`);
    }
  }
  console.log(`  Lighthouse ${version} in ${process.env.CHROME_PATH}`);
  console.log(`  ${'page'.padEnd(14)} ${'device'.padEnd(46)} perf  a11y   FCP ms   LCP ms   TBT ms`);
  for (const r of rows) {
    console.log(`  ${r.page.padEnd(14)} ${r.device.padEnd(46)} ${String(r.performance).padStart(4)}  ${String(r.accessibility).padStart(4)} ${String(r.fcp).padStart(8)} ${String(r.lcp).padStart(8)} ${String(r.tbt).padStart(8)}`);
  }
  await fetch(`${base}/api/logout`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, origin: base }, body: '{}' });
} finally {
  await chrome.kill();
}
