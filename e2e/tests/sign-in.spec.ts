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

test('a user downloads no administrator screen; an administrator fetches one when opening it', async ({ page }) => {
  const modules: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) modules.push(path);
  });
  const user = await signIn(page, env.tenant, env.user);
  await expect(page.getByRole('heading', { name: 'Welcome, Test' })).toBeVisible();
  expect(new Set(modules)).toEqual(new Set(['/pkg/rollcall.wasm']));
  await user.signOut();

  const admin = await signIn(page, env.tenant, env.admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
  expect(modules.some((m) => m.startsWith('/pkg/split_accounts_screen.wasm'))).toBeTruthy();
  expect(modules.some((m) => m.startsWith('/pkg/split_audit_screen.wasm'))).toBeFalsy();
  await admin.signOut();
});

test('an administrator screen that cannot be fetched says so, and Try again loads it', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const auditModule = '**/pkg/split_audit_screen.wasm';
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
