import { expect, test } from '@playwright/test';
import { SignInPage, auditRowsFor, createAccount, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('a required change at next sign-in allows nothing else until done', async ({ page, browser }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('forced');
  await createAccount(page, username, { first_name: 'Fred', last_name: 'Forced', must_change_password: true });

  const other = await browser.newContext();
  const userPage = await other.newPage();
  try {
    await signIn(userPage, env.tenant, username);
    await expect(userPage.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
    await expect(userPage.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveCount(0);
    // The server refuses everything else too.
    const blocked = await userPage.request.post('/api/license', { data: {} });
    expect((await blocked.json()).code).toBe('password_change_required');

    await userPage.getByLabel('Current password').fill(env.password);
    await userPage.getByLabel('New password').fill('weak');
    await userPage.getByLabel('Re-type password').fill('weak');
    await userPage.getByRole('button', { name: 'Set new password' }).click();
    await expect(userPage.getByText('The password does not meet these rules')).toBeVisible();

    await userPage.getByLabel('New password').fill('My own choice 7!');
    await userPage.getByLabel('Re-type password').fill('My own choice 7!');
    await userPage.getByRole('button', { name: 'Set new password' }).click();
    await expect(userPage.getByRole('status').filter({ hasText: 'Your password has been changed.' })).toBeVisible();
    await expect(userPage.getByRole('link', { name: 'Home' })).toBeVisible();
  } finally {
    await userPage.request.post('/api/logout', { data: {} });
    await other.close();
  }
  const audit = await auditRowsFor(page, username);
  await expect(audit.filter({ hasText: 'Password changed by its owner' })).toHaveCount(1);
  await shell.signOut();
});

test('an expired account is refused, and reactivating it demands a new password', async ({ page }) => {
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await signInPage.signIn(env.tenant, env.expired, env.password);
  await expect(signInPage.alert()).toContainText('This account has expired');

  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  const row = page.getByRole('row').filter({ hasText: env.expired });
  await expect(row).toContainText('Expired');
  await page.getByRole('link', { name: env.expired, exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'This account expired on' })).toBeVisible();

  // Clearing the date alone is not enough.
  await page.getByLabel('Expires/Deactivates on').fill('');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('set a new password to reactivate it')).toBeVisible();

  await page.getByLabel('New password').fill('Back again 55!');
  await page.getByLabel('Re-type password').fill('Back again 55!');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('row').filter({ hasText: env.expired })).toContainText('Active');
  await shell.signOut();

  await signInPage.signIn(env.tenant, env.expired, 'Back again 55!');
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();

  const admin = await signIn(page, env.tenant, env.admin);
  const audit = await auditRowsFor(page, env.expired);
  await expect(audit.filter({ hasText: 'Sign-in refused: account expired' })).toHaveCount(1);
  await expect(audit.filter({ hasText: 'Account reactivated' })).toHaveCount(1);
  await admin.signOut();
});

test('an administrator resets a password; the owner must change it at sign-in', async ({ page, browser }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('reset');
  await createAccount(page, username, { first_name: 'Rita', last_name: 'Reset' });
  await shell.go('Accounts');
  await page.getByRole('link', { name: username, exact: true }).click();
  const panel = page.getByRole('region', { name: 'Reset password' });
  await expect(panel.getByLabel('Require password change at next login')).toBeChecked();
  await panel.getByLabel('New password').fill('Handed over 31!');
  await panel.getByLabel('Re-type password').fill('Handed over 31!');
  await panel.getByRole('button', { name: 'Reset password' }).click();
  await expect(panel.getByRole('status')).toContainText(`The password of ${username} was reset`);

  const other = await browser.newContext();
  const userPage = await other.newPage();
  try {
    await signIn(userPage, env.tenant, username, 'Handed over 31!');
    await expect(userPage.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
  } finally {
    await userPage.request.post('/api/logout', { data: {} });
    await other.close();
  }
  const audit = await auditRowsFor(page, username);
  await expect(audit.filter({ hasText: 'Password reset by an administrator' })).toHaveCount(1);
  await shell.signOut();
});
