import { expect, test } from '@playwright/test';
import { SignInPage, createAccount, env, releaseSeat, retype, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('an administrator edits an account, deactivates it (signing it out) and reactivates it', async ({
  page,
  browser,
}) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('staff');
  await createAccount(page, username, { first_name: 'Sam', last_name: 'Staff' });

  // The staff member is signed in elsewhere.
  const other = await browser.newContext();
  const staffPage = await other.newPage();
  try {
    await signIn(staffPage, env.tenant, username);

    await shell.go('Accounts');
    await page.getByRole('link', { name: username, exact: true }).click();
    await expect(page.getByRole('heading', { name: `Account ${username}` })).toBeVisible();
    await expect(page.getByLabel('Username')).toHaveAttribute('readonly', '');
    await page.getByLabel('First name').fill('Samantha');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Changes to ${username} saved.` })).toBeVisible();
    await expect(page.getByRole('row').filter({ hasText: username })).toContainText('Samantha Staff');

    // Bad input is named beside its field and nothing is saved.
    await page.getByRole('link', { name: username, exact: true }).click();
    await retype(page.getByLabel('Email'), 'not an email');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Enter an email address like name@example.org.')).toBeVisible();
    await retype(page.getByLabel('Email'), `${username}@example.org`);

    // Deactivate: the staff member is signed out at once and cannot return.
    await page.getByLabel('Status').selectOption('inactive');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('row').filter({ hasText: username })).toContainText('Inactive');
    // Their open page, reloaded, says why; then back to sign-in.
    await staffPage.reload();
    await expect(staffPage.getByRole('heading', { name: 'You have been signed out' })).toBeVisible();
    await expect(staffPage.getByRole('alert')).toHaveText(
      'You were signed out because this account was deactivated. Ask your administrator to reactivate it.',
    );
    await staffPage.getByRole('button', { name: 'Sign in again' }).click();
    const again = new SignInPage(staffPage);
    await expect(staffPage.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await again.signIn(env.tenant, username, env.password);
    await expect(again.alert()).toContainText('This account is deactivated');

    // Reactivate: they can sign in again.
    await page.getByRole('link', { name: username, exact: true }).click();
    await page.getByLabel('Status').selectOption('active');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('row').filter({ hasText: username })).toContainText('Active');
    await again.signIn(env.tenant, username, env.password);
    await expect(staffPage.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();

    // Delete from the account's own page, after confirming.
    await page.getByRole('link', { name: username, exact: true }).click();
    await page.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('dialog').getByRole('button', { name: `Delete ${username}` }).click();
    await expect(page.getByRole('status').filter({ hasText: `Account ${username} deleted.` })).toBeVisible();
  } finally {
    await staffPage.request.post('/api/logout', { data: {} });
    await other.close();
  }
});

test('administrators cannot change their own role or status', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  await page.getByRole('link', { name: env.admin, exact: true }).click();
  await expect(page.getByText('You cannot change your own role or status')).toBeVisible();
  await expect(page.getByLabel('Status')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Delete/ })).toHaveCount(0);
});

test('an administrator sees an account slowed by failed sign-ins and clears it', async ({ page, browser }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('guessed');
  await createAccount(page, username, { first_name: 'Gus', last_name: 'Guessed' });

  const guesser = await browser.newContext();
  try {
    const tryPassword = (password: string) =>
      guesser.request.post('/api/login', { data: { tenant: env.tenant, username, password } });
    for (let i = 0; i < 5; i++) {
      expect((await tryPassword('not the password')).status()).toBe(401);
    }
    const refused = await tryPassword(env.password);
    expect(refused.status()).toBe(429);
    expect(refused.headers()['retry-after']).toBe('1');

    await shell.go('Accounts');
    await page.getByRole('link', { name: username, exact: true }).click();
    const panel = page.getByRole('region', { name: 'Sign-in attempts' });
    await expect(panel).toContainText('5 failed sign-ins from');
    await panel.getByRole('button', { name: 'Clear failed sign-ins' }).click();
    await expect(panel.getByRole('status')).toHaveText(`The failed sign-ins of ${username} were cleared: they can try again at once.`);
    await expect(panel.getByRole('button', { name: 'Clear failed sign-ins' })).toBeHidden();

    const allowed = await tryPassword(env.password);
    expect(allowed.status()).toBe(200);
    await allowed.dispose();
    await guesser.request.post('/api/logout', { data: {} });
  } finally {
    await guesser.close();
  }
});

test('saving over a change someone made since the page opened is refused and says so', async ({ page, context }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('both');
  await createAccount(page, username, { first_name: 'Pat', last_name: 'Twice' });
  await shell.go('Accounts');
  await page.getByRole('link', { name: username, exact: true }).click();
  const heading = `Account ${username}`;
  await expect(page.getByRole('heading', { name: heading })).toBeVisible();

  // The same account open in a second tab, as a colleague would have it.
  const other = await context.newPage();
  await other.goto(page.url());
  await expect(other.getByRole('heading', { name: heading })).toBeVisible();

  await page.getByLabel('First name').fill('Patricia');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Changes to ${username} saved.` })).toBeVisible();

  // The older page's save would put "Pat" back: refused, and it says why.
  await other.getByLabel('Last name').fill('Once');
  await other.getByRole('button', { name: 'Save changes' }).click();
  await expect(other.getByRole('alert')).toContainText('changed by someone else since you opened it');
  await other.reload();
  await expect(other.getByLabel('First name')).toHaveValue('Patricia');
  await other.getByLabel('Last name').fill('Once');
  await other.getByRole('button', { name: 'Save changes' }).click();
  await expect(other.getByRole('row').filter({ hasText: username })).toContainText('Patricia Once');
  await other.close();
});
