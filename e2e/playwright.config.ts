import { defineConfig, devices } from '@playwright/test';

// QA points the suite at any deployment with ROLLCALL_BASE_URL (see e2e/README.md).
const baseURL = process.env.ROLLCALL_BASE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Tests share the fixture tenants' seats: one worker keeps them independent.
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  // Two engines, chosen with `--project chromium` or `--project firefox`
  // (both by default). Neither is downloaded: Playwright drives Debian's
  // packages. The Firefox pin is explained in e2e/README.md ("Engines").
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        viewport: devices['Desktop Chrome'].viewport,
        launchOptions: {
          executablePath: process.env.ROLLCALL_CHROMIUM ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      },
    },
    {
      name: 'firefox',
      // The same steps take 2 to 3 times as long over WebDriver BiDi (axe
      // most of all): the accessibility tests came within a second of 30 s.
      timeout: 60_000,
      use: {
        browserName: 'firefox',
        viewport: devices['Desktop Firefox'].viewport,
        // WebDriver BiDi, the protocol Firefox itself ships; Playwright's own
        // patched Firefox cannot be downloaded here.
        channel: 'moz-firefox',
        launchOptions: {
          executablePath: process.env.ROLLCALL_FIREFOX ?? '/usr/bin/firefox-esr',
        },
      },
    },
  ],
});
