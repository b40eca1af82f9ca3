import { expect, test } from '@playwright/test';
import { SignInPage } from '../fixtures/rollcall';

// How `server serve` sends the site's files. (Behind CloudFront the upload's
// metadata and CloudFront's own compression decide instead: docs/deploy-aws.md, "Deploy
// to AWS".)

test('modules come precompressed, from a build folder cached for good', async ({ page }) => {
  const mainModule = page.waitForResponse((r) => /^\/pkg\/[0-9a-f]{20}\/rollcall\.wasm$/.test(new URL(r.url()).pathname));
  await new SignInPage(page).open();
  const response = await mainModule;
  const headers = await response.allHeaders();
  expect(headers['content-encoding']).toBe('br');
  expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(headers['vary']?.toLowerCase()).toContain('accept-encoding');
  // The shell names the build folder and is revalidated on every visit.
  const shell = await page.request.get('/');
  expect(shell.headers()['cache-control']).toBe('no-cache');
});
