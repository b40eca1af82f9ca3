import { expect, test } from '@playwright/test';
import { auditRowsFor, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('an administrator creates an account and deletes it after confirming', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();

  const username = uniqueName('new');
  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: 'Create user' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  await expect(page.getByRole('heading', { name: 'Create user' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('First name').fill('Nora');
  await page.getByLabel('Last name').fill('Newcomer');
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await expect(page.getByLabel('Role')).toHaveValue('user');

  // The live checklist follows the typing.
  const rules = page.getByRole('list', { name: 'The password needs:' });
  await page.getByLabel('Assign password').fill('short');
  await expect(rules.getByRole('listitem').filter({ hasText: 'at least one number' })).toContainText('not met yet');
  await page.getByLabel('Assign password').fill('Long enough 42!');
  await expect(rules.getByRole('listitem').filter({ hasText: 'at least one number' })).toContainText('(met)');

  // Mismatched confirmation is caught beside its field.
  await page.getByLabel('Re-type password').fill('something else');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('The two passwords are not the same')).toBeVisible();
  await expect(page.getByLabel('Re-type password')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Re-type password').fill('Long enough 42!');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Account ${username} created.` })).toBeVisible();
  const users = page.getByRole('region', { name: 'Users' });
  const row = users.getByRole('row').filter({ hasText: username });
  await expect(row).toContainText('Nora Newcomer');

  // A duplicate username (ignoring case) is refused beside the field.
  await page.getByRole('link', { name: 'Create account' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  await page.getByLabel('Username').fill(username.toUpperCase());
  await page.getByLabel('First name').fill('Again');
  await page.getByLabel('Last name').fill('Again');
  await page.getByLabel('Email').fill('again@example.org');
  await page.getByLabel('Assign password').fill('Long enough 42!');
  await page.getByLabel('Re-type password').fill('Long enough 42!');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('is already taken in this organisation')).toBeVisible();
  await page.getByRole('link', { name: 'Cancel' }).click();

  // Delete asks first, naming the account; Cancel keeps it.
  await row.getByRole('button', { name: `Delete ${username}` }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Delete the account ${username} (Nora Newcomer)?`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toBeVisible();

  await row.getByRole('button', { name: `Delete ${username}` }).click();
  await dialog.getByRole('button', { name: `Delete ${username}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Account ${username} deleted.` })).toBeVisible();
  await expect(users.getByRole('row').filter({ hasText: username })).toHaveCount(0);
  const audit = await auditRowsFor(page, username);
  await expect(audit.filter({ hasText: 'Account deleted' })).toHaveCount(1);
  await expect(audit.filter({ hasText: 'Account created' })).toHaveCount(1);
  await shell.signOut();
});

test('an administrator has no delete control on their own account', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  const admins = page.getByRole('region', { name: 'Administrators' });
  const me = admins.getByRole('row').filter({ hasText: env.admin });
  await expect(me).toContainText('you');
  await expect(me.getByRole('button', { name: /Delete/ })).toHaveCount(0);

  // The server refuses it too.
  const session = await (await page.request.post('/api/session', { data: {} })).json();
  const res = await page.request.post('/api/accounts/delete', { data: { id: session.account_id } });
  expect(res.status()).toBe(403);
  expect((await res.json()).message).toContain('cannot delete your own account');
  await shell.signOut();
});

test('the delete dialog works from the keyboard and Escape cancels', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  const users = page.getByRole('region', { name: 'Users' });
  const row = users.getByRole('row').filter({ hasText: env.user });
  await row.getByRole('button', { name: `Delete ${env.user}` }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(row).toBeVisible();
  await shell.signOut();
});

test('the license page shows seats and who holds them', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('License');
  await expect(page.getByRole('heading', { name: 'License' })).toBeVisible();
  await expect(page.getByRole('definition').first()).toHaveText('50');
  const holders = page.getByRole('region', { name: 'Signed in now' });
  await expect(holders.getByRole('row').filter({ hasText: env.admin })).toBeVisible();
  await shell.signOut();
});

test('each section creates its own kind of account', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  await page.getByRole('region', { name: 'Administrators' }).getByRole('link', { name: 'Create administrator' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  await expect(page.getByRole('heading', { name: 'Create administrator' })).toBeVisible();
  await expect(page.getByLabel('Role')).toHaveValue('administrator');
  await expect(page.getByRole('button', { name: 'Create administrator' })).toBeVisible();
  // Changing the role changes what the page creates.
  await page.getByLabel('Role').selectOption('User');
  await expect(page.getByRole('heading', { name: 'Create user' })).toBeVisible();
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
});

test('a generated password meets the policy, is shown once and creates the account', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  const username = uniqueName('gen');
  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: 'Create user' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('First name').fill('Gene');
  await page.getByLabel('Last name').fill('Rated');
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByRole('button', { name: 'Generate password' }).click();

  const shown = page.getByLabel('Generated password');
  await expect(shown).toHaveValue(/^.{16}$/);
  const generated = await shown.inputValue();
  await expect(page.getByLabel('Assign password')).toHaveValue(generated);
  await expect(page.getByLabel('Re-type password')).toHaveValue(generated);
  await expect(page.getByRole('list', { name: 'The password needs:' }).getByText('not met yet')).toHaveCount(0);
  // A second click gives a different one.
  await page.getByRole('button', { name: 'Generate password' }).click();
  await expect(shown).not.toHaveValue(generated);
  const final = await shown.inputValue();

  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Account ${username} created.` })).toBeVisible();
  await shell.signOut();
  // The owner can sign in with it.
  await signIn(page, env.tenant, username, final);
});
