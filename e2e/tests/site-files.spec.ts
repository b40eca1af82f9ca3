import { expect, test } from '@playwright/test';
import { SignInPage } from '../fixtures/rollcall';

// How `server serve` sends the site's files. (Behind CloudFront the upload's
// metadata and CloudFront's own compression decide instead: README, "Deploy
// to AWS".)

test('modules come precompressed, under names cached for good', async ({ page }) => {
  const answers: { path: string; encoding?: string; cache?: string; vary?: string }[] = [];
  page.on('response', async (response) => {
    const path = new URL(response.url()).pathname;
    if (!path.startsWith('/pkg/')) return;
    const headers = await response.allHeaders();
    answers.push({ path, encoding: headers['content-encoding'], cache: headers['cache-control'], vary: headers['vary'] });
  });
  await new SignInPage(page).open();
  const main = answers.find((a) => /^\/pkg\/rollcall\.[A-Za-z0-9_-]{22}\.wasm$/.test(a.path));
  expect(main, JSON.stringify(answers)).toBeTruthy();
  expect(main?.encoding).toBe('br');
  expect(main?.cache).toBe('public, max-age=31536000, immutable');
  expect(main?.vary?.toLowerCase()).toContain('accept-encoding');
});
