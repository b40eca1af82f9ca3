import { expect, test } from '@playwright/test';
import { AppShell, env, releaseSeat, SignInPage, signIn } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('a user signs in, sees their name, and signs out', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.user);
  await shell.expectSignedInAs(`Test ${env.user}`);
  await expect(page.getByRole('heading', { name: 'Welcome, Test' })).toBeVisible();
  // Users get no administration links.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Accounts' })).toHaveCount(0);
  await shell.signOut();
  await expect(page.getByRole('status').filter({ hasText: 'You have signed out.' })).toBeVisible();
});

test('the session survives a reload and ends with sign-out', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.user);
  await page.reload();
  await shell.expectSignedInAs(`Test ${env.user}`);
  await shell.signOut();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('a wrong password is refused with a clear message', async ({ page }) => {
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await signInPage.signIn(env.tenant, env.user, 'Not-the-password1!');
  await expect(signInPage.alert()).toContainText('organisation, username or password is not correct');
  await expect(page.getByLabel('Password')).toHaveValue('');
});

test('an administrator page refuses a user even by its address', async ({ page }) => {
  await signIn(page, env.tenant, env.user);
  await page.goto('/license');
  await expect(page.getByRole('heading', { name: 'Administrators only' })).toBeVisible();
  // The API refuses too, whatever the page shows.
  const res = await page.request.post('/api/license', { data: {} });
  expect(res.status()).toBe(403);
  expect((await res.json()).code).toBe('forbidden');
  await new AppShell(page).signOut();
});

test('signing in works with the keyboard alone', async ({ page }) => {
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await page.getByLabel('Organisation').focus();
  await page.keyboard.type(env.tenant);
  await page.keyboard.press('Tab');
  await page.keyboard.type(env.user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(env.password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await new AppShell(page).signOut();
});

/** The module a `.wasm` request fetches: `split_frame` of
 *  `/pkg/<build>/split_frame.wasm`, `rollcall`, `chunk_12` … */
function moduleOf(path: string): string {
  return path.replace(/^\/pkg\/[0-9a-f]{20}\//, '').replace(/\.wasm$/, '');
}

test('the sign-in page fetches only the main module; the frame comes with sign-in, a screen when opened', async ({ page }) => {
  const modules: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) modules.push(moduleOf(path));
  });
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await page.waitForLoadState('networkidle');
  expect(modules).toEqual(['rollcall']);
  await signInPage.signIn(env.tenant, env.user, env.password);
  const user = new AppShell(page);
  await expect(page.getByRole('heading', { name: 'Welcome, Test' })).toBeVisible();
  expect(modules).toContain('split_frame');
  expect(modules.filter((m) => m.startsWith('split_') && m !== 'split_frame')).toEqual([]);
  await user.signOut();

  const admin = await signIn(page, env.tenant, env.admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
  expect(modules).toContain('split_accounts');
  expect(modules).not.toContain('split_audit');
  await admin.signOut();
});

test('a screen opened by its address fetches its modules beside the main one, each once', async ({ page }) => {
  const admin = await signIn(page, env.tenant, env.admin);
  const modules: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) modules.push(moduleOf(path));
  });
  await page.goto('/license');
  await expect(page.getByRole('heading', { name: 'License', level: 1 })).toBeVisible();
  // The boot script asked for the frame's and the License page's modules
  // (and their chunks) itself, before the app ran; nobody fetched one twice.
  const preloaded = await page.evaluate(() =>
    [...document.querySelectorAll('link[rel="preload"][href$=".wasm"]')].map((l) => new URL((l as HTMLLinkElement).href).pathname),
  );
  expect(preloaded.map(moduleOf)).toEqual(expect.arrayContaining(['split_frame', 'split_license']));
  expect(preloaded.map(moduleOf)).not.toContain('split_accounts');
  expect(modules).toEqual(expect.arrayContaining(['rollcall', 'split_frame', 'split_license']));
  expect(new Set(modules).size).toBe(modules.length);
  await admin.signOut();
});

test('the sign-in link fills in the organisation, and the device remembers it', async ({ page }) => {
  await page.goto(`/?org=${env.tenant}`);
  await expect(page.getByLabel('Organisation')).toHaveValue(env.tenant);
  await expect(page.getByLabel('Remember me on this device')).toBeChecked();
  await page.getByLabel('Username').fill(env.user);
  await page.getByLabel('Password').fill(env.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const shell = new AppShell(page);
  await shell.expectSignedInAs(`Test ${env.user}`);
  await shell.signOut();
  // Back on the plain address: organisation and username are filled in.
  await page.goto('/');
  await expect(page.getByLabel('Organisation')).toHaveValue(env.tenant);
  await expect(page.getByLabel('Username')).toHaveValue(env.user);
  await expect(page.getByLabel('Password')).toHaveValue('');

  // Unticked on a shared computer: the username is forgotten, the box stays unticked.
  await page.getByLabel('Password').fill(env.password);
  await page.getByLabel('Remember me on this device').uncheck();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await shell.expectSignedInAs(`Test ${env.user}`);
  await shell.signOut();
  await page.goto('/');
  await expect(page.getByLabel('Organisation')).toHaveValue(env.tenant);
  await expect(page.getByLabel('Username')).toHaveValue('');
  await expect(page.getByLabel('Remember me on this device')).not.toBeChecked();
  // Nothing but the two names is kept on the device.
  const kept = await page.evaluate(() => JSON.stringify(localStorage));
  expect(kept).not.toContain(env.password);
});

test('an administrator screen that cannot be fetched says so, and Try again loads it', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const auditModule = /\/pkg\/[0-9a-f]{20}\/split_audit\.wasm$/;
  await page.route(auditModule, (route) => route.abort('internetdisconnected'));
  await shell.go('Audit');
  await expect(page.getByRole('alert')).toContainText('This page could not be loaded. Check your connection');
  // The app still works: another screen opens.
  await shell.go('Home');
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeVisible();
  await shell.go('Audit');
  await expect(page.getByRole('alert')).toContainText('This page could not be loaded');

  await page.unroute(auditModule);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'Audit trail', level: 1 })).toBeVisible();
  await shell.signOut();
});
