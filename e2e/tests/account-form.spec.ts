import { expect, test } from '@playwright/test';
import { auditRowsFor, env, isoDate, releaseSeat, retype, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('clients are added, renamed and archived on their own page', async ({ page }) => {
  const shell = await signIn(page, env.formsTenant, env.formsAdmin);
  await shell.go('Clients');
  await expect(page.getByRole('heading', { name: 'Clients', level: 1 })).toBeVisible();
  const name = uniqueName('Client');

  // An empty name is explained beside the field.
  await page.getByRole('button', { name: 'Add client' }).click();
  await expect(page.getByText("Enter the client's name.")).toBeVisible();

  await page.getByLabel('Client name').fill(name);
  await page.getByRole('button', { name: 'Add client' }).click();
  const table = page.getByRole('region', { name: 'All clients' });
  const row = table.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('Active');

  // A second client of the same name (any case) is refused.
  await page.getByLabel('Client name').fill(name.toUpperCase());
  await page.getByRole('button', { name: 'Add client' }).click();
  await expect(page.getByText('There is already a client named')).toBeVisible();

  await row.getByRole('button', { name: `Rename ${name}` }).click();
  await page.getByLabel('New name').fill(`${name} Ltd`);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const renamed = table.getByRole('row').filter({ hasText: `${name} Ltd` });
  await expect(renamed).toBeVisible();
  await renamed.getByRole('button', { name: `Archive ${name} Ltd` }).click();
  await expect(table.getByRole('row').filter({ hasText: `${name} Ltd` })).toContainText('Archived');

  const audit = await auditRowsFor(page, name);
  await expect(audit.filter({ hasText: 'Client archived' })).toHaveCount(1);
  await expect(audit.filter({ hasText: 'Client renamed' })).toHaveCount(1);
  await expect(audit.filter({ hasText: 'Client created' })).toHaveCount(1);
  await shell.signOut();
});

test('an administrator creates a user and an administrator with every field', async ({ page }) => {
  const shell = await signIn(page, env.formsTenant, env.formsAdmin);
  // Two clients to choose from.
  const clients = [uniqueName('Acme'), uniqueName('Globex')];
  for (const name of clients) {
    const res = await page.request.post('/api/clients/save', { data: { client: { name } } });
    expect(res.ok()).toBeTruthy();
  }

  await shell.go('Accounts');
  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: 'Create user' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  await expect(page.getByRole('heading', { name: 'Create user' })).toBeVisible();
  const username = uniqueName('full');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('First name').fill('Fiona');
  await page.getByLabel('Last name').fill('Fields');
  await page.getByLabel('Email').fill(`${username}@example.org`);

  // A user without a client is refused beside the clients.
  await page.getByRole('button', { name: 'Generate password' }).click();
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('Choose at least one client for this user')).toBeVisible();

  const choices = page.getByRole('group', { name: 'Clients' });
  await choices.getByRole('button', { name: 'Select all' }).click();
  for (const name of clients) await expect(choices.getByLabel(name)).toBeChecked();
  await page.getByLabel('Case access level').selectOption({ label: 'Read Only Access' });
  await page.getByLabel('Require password change at next login').check();
  await page.getByLabel('Require password change at 90-day intervals').check();
  const expires = isoDate(30);
  await page.getByLabel('Expires/Deactivates on').fill(expires);
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('active');

  // The generated password is shown once, with every rule met.
  const generated = await page.getByLabel('Generated password').inputValue();
  expect(generated).toHaveLength(16);
  await expect(page.getByLabel('Assign password')).toHaveValue(generated);
  const rules = page.getByRole('list', { name: 'The password needs:' });
  await expect(rules.getByRole('listitem').filter({ hasText: 'not met yet' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Account ${username} created.` })).toBeVisible();

  // Everything was kept.
  await page.getByRole('link', { name: username, exact: true }).click();
  await expect(page.getByRole('heading', { name: `Account ${username}` })).toBeVisible();
  const access = page.getByRole('group', { name: 'Access' });
  for (const name of clients) await expect(access.getByLabel(name)).toBeChecked();
  await expect(access.getByLabel('Case access level')).toHaveValue('read_only');
  await expect(access.getByLabel('Require password change at next login')).toBeChecked();
  await expect(access.getByLabel('Require password change at 90-day intervals')).toBeChecked();
  await expect(access.getByLabel('Expires/Deactivates on')).toHaveValue(expires);
  await page.getByRole('link', { name: 'Cancel' }).click();

  // An administrator: no clients or case access; created inactive.
  await page.getByRole('region', { name: 'Administrators' }).getByRole('link', { name: 'Create administrator' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  await expect(page.getByRole('heading', { name: 'Create administrator' })).toBeVisible();
  await expect(page.getByLabel('Case access level')).toHaveCount(0);
  const adminName = uniqueName('admin');
  await page.getByLabel('Username').fill(adminName);
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Admin');
  await page.getByLabel('Email').fill(`${adminName}@example.org`);
  await page.getByLabel('Expires/Deactivates on').fill(isoDate(60));
  await page.getByLabel('Status', { exact: true }).selectOption('inactive');
  await page.getByLabel('Assign password').fill('Admin pass 42!');
  await page.getByLabel('Re-type password').fill('Admin pass 42!');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  const admins = page.getByRole('region', { name: 'Administrators' });
  await expect(admins.getByRole('row').filter({ hasText: adminName })).toContainText('Inactive');

  const audit = await auditRowsFor(page, username);
  await expect(audit.filter({ hasText: 'Account created' })).toHaveCount(1);
  await shell.signOut();
});

test('the NIST preset applies to the checklist, including common passwords', async ({ page }) => {
  const shell = await signIn(page, env.policyTenant, env.policyAdmin);
  await shell.go('Settings');
  await page.getByRole('button', { name: 'Use the NIST SP 800-63B preset' }).click();
  await expect(page.getByLabel('Minimum length')).toHaveValue('15');
  await expect(page.getByLabel('Reject commonly used passwords')).toBeChecked();
  // A bad bound is explained beside its field and nothing is saved.
  await retype(page.getByLabel('Minimum length'), '4');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('The minimum length must be from 8 to 64.')).toBeVisible();
  await retype(page.getByLabel('Minimum length'), '15');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Settings saved.' })).toBeVisible();

  await shell.go('Accounts');
  await page.getByRole('link', { name: 'Create account' }).click();
  // Set a password here rather than invite (the invitation is the default).
  await page.getByLabel('Send an invitation instead of setting a password').uncheck();
  const rules = page.getByRole('list', { name: 'The password needs:' });
  await expect(rules).toContainText('15 to 128 characters');
  await expect(rules).not.toContainText('special character');
  const common = rules.getByRole('listitem').filter({ hasText: 'most commonly used' });
  await page.getByLabel('Assign password').fill('1q2w3e4r5t6y7u8i');
  await expect(common).toContainText('not met yet');
  await page.getByLabel('Assign password').fill('a quiet harbour at dusk');
  await expect(common).toContainText('(met)');

  const audit = await auditRowsFor(page, env.policyTenant);
  await expect(audit.filter({ hasText: 'Organisation settings changed' })).toHaveCount(1);
  await shell.signOut();
});
