import { expect, test, type Page } from '@playwright/test';
import { auditRowsFor, createAccount, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

async function groupId(page: Page, name: string): Promise<string> {
  const res = await page.request.post('/api/groups/list', { data: {} });
  expect(res.ok()).toBeTruthy();
  const group = (await res.json()).find((g: { name: string }) => g.name === name);
  expect(group, `group ${name}`).toBeTruthy();
  return group.id;
}

async function accountId(page: Page, username: string): Promise<string> {
  const res = await page.request.post('/api/accounts/list', { data: { query: { search: username } } });
  const found = (await res.json()).accounts.find((a: { username: string }) => a.username === username);
  expect(found, `account ${username}`).toBeTruthy();
  return found.id;
}

/** The row of one column in a form's section of a permission matrix. */
function matrixRow(page: Page, form: string, column: string) {
  return page
    .getByRole('region', { name: form, exact: true })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: column, exact: true }) });
}

async function createGroup(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
  await page.getByLabel('Group name').fill(name);
  await page.getByLabel('Description').fill('Made by the end-to-end tests');
  await page.getByRole('button', { name: 'Add group' }).click();
  await expect(page.getByRole('row').filter({ hasText: name })).toBeVisible();
}

test('a group cell and a person override each say where the permission comes from', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const group = uniqueName('Bookkeepers');
  await createGroup(page, group);

  // The group allows Timesheet / Hours.
  await page.getByRole('link', { name: `Permissions of ${group}` }).click();
  await expect(page.getByRole('heading', { name: `Group ${group} — form permissions` })).toBeVisible();
  await page.getByLabel('Timesheet / Hours').selectOption('allow');
  await expect(page.getByRole('status').filter({ hasText: 'Timesheet / Hours is now Allow' })).toBeVisible();

  // A user joins the group on the account form.
  const username = uniqueName('perm');
  await createAccount(page, username, { first_name: 'Pat', last_name: 'Perm' });
  const id = await accountId(page, username);
  await page.goto(`/accounts/${id}`);
  await page.getByRole('group', { name: 'Group Memberships' }).getByLabel(group).check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Changes to ${username} saved.` })).toBeVisible();

  // Its Permissions tab: the group's Allow, a person-level Deny, the tenant default.
  await page.goto(`/accounts/${id}`);
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Permissions' }).click();
  await expect(page.getByText('Otherwise the groups decide')).toBeVisible();
  await expect(matrixRow(page, 'Timesheet', 'Hours')).toContainText(`Allow — group ${group}`);
  await expect(matrixRow(page, 'Staff directory', 'Phone')).toContainText('Allow — tenant default');
  await page.getByLabel('Timesheet / Hours').selectOption('deny');
  await expect(matrixRow(page, 'Timesheet', 'Hours')).toContainText('Deny — set on this person');
  // Back to Inherit: the group decides again.
  await page.getByLabel('Timesheet / Hours').selectOption('inherit');
  await expect(matrixRow(page, 'Timesheet', 'Hours')).toContainText(`Allow — group ${group}`);
  // A whole row at once.
  await page.getByRole('button', { name: 'Deny every column of Expenses' }).click();
  await expect(matrixRow(page, 'Expenses', 'Amount')).toContainText('Deny — set on this person');

  const audit = await auditRowsFor(page, username);
  await expect(audit.filter({ hasText: 'Form permissions changed' })).toHaveCount(3);
  await shell.signOut();
});

test('duplicating an account copies everything but the part left out', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const editor = await groupId(page, 'Editor');
  const source = uniqueName('source');
  await createAccount(page, source, { first_name: 'Sam', last_name: 'Source', groups: [editor], case_access: 'read_only' });
  const sourceId = await accountId(page, source);
  // A person-level override on the source.
  const matrix = await (await page.request.post('/api/permissions/get', { data: { level: { level: 'tenant' } } })).json();
  const amount = matrix.forms
    .find((f: { name: string }) => f.name === 'Invoices')
    .columns.find((c: { name: string }) => c.name === 'Amount').column;
  const set = await page.request.post('/api/permissions/set', {
    data: { change: { level: { level: 'account', id: sourceId }, cells: [{ column: amount, setting: 'allow' }] } },
  });
  expect(set.ok(), await set.text()).toBeTruthy();

  await page.goto(`/accounts/${sourceId}`);
  await page.getByRole('link', { name: `Duplicate ${source}` }).click();
  await expect(page.getByRole('heading', { name: `Duplicate ${source}` })).toBeVisible();
  const parts = page.getByRole('region', { name: `Copied from ${source}` });
  await expect(parts.getByLabel('Case access level: Read Only Access')).toBeChecked();
  // Leave the groups out: the form's Group Memberships empty at once.
  await parts.getByLabel('Group Memberships: 1 group(s)').uncheck();
  await expect(page.getByRole('group', { name: 'Group Memberships' }).getByLabel('Editor')).not.toBeChecked();
  await expect(page.getByLabel('Case access level', { exact: true })).toHaveValue('read_only');

  const copy = uniqueName('copy');
  await page.getByLabel('Username').fill(copy);
  await page.getByLabel('First name').fill('Cody');
  await page.getByLabel('Last name').fill('Copy');
  await page.getByLabel('Email').fill(`${copy}@example.org`);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `invitation to choose a password was emailed to ${copy}@example.org` })).toBeVisible();

  // The copy's effective matrix is the source's, except what the group gave.
  const effective = async (username: string) =>
    (await (await page.request.post('/api/access/matrix', { data: { username } })).json()).forms;
  const [a, b] = [await effective(source), await effective(copy)];
  let fromGroup = 0;
  for (const [i, form] of a.entries()) {
    for (const [j, cell] of form.columns.entries()) {
      const other = b[i].columns[j];
      if (cell.level === 'group') {
        fromGroup++;
        expect(other.level, `${form.form} / ${cell.column}`).toBe('tenant');
      } else {
        expect(other, `${form.form} / ${cell.column}`).toEqual(cell);
      }
    }
  }
  expect(fromGroup).toBeGreaterThan(0);
  const invoices = b.find((f: { form: string }) => f.form === 'Invoices');
  expect(invoices.columns.find((c: { column: string }) => c.column === 'Amount')).toMatchObject({ allowed: true, level: 'person' });

  const audit = await auditRowsFor(page, copy);
  const duplicated = audit.filter({ hasText: 'Account created as a copy of another' });
  await expect(duplicated).toHaveCount(1);
  await expect(duplicated).toContainText(`duplicated_from: ${source}`);
  await shell.signOut();
});

test('deleting a group in use lists the accounts that lose it', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const group = uniqueName('Temps');
  await createGroup(page, group);
  const id = await groupId(page, group);
  const member = uniqueName('member');
  await createAccount(page, member, { first_name: 'Mo', last_name: 'Member', groups: [id] });

  await page.reload();
  const row = page.getByRole('row').filter({ hasText: group });
  await expect(row).toContainText('1');
  await row.getByRole('button', { name: `Delete ${group}` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${group}?` });
  await expect(dialog).toContainText(`${member} (Mo Member)`);
  await expect(dialog).toContainText('lose it and what it grants');
  // Cancelling keeps it.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: `Delete ${group}` }).click();
  await dialog.getByRole('button', { name: `Delete ${group}` }).click();
  await expect(page.getByRole('row').filter({ hasText: group })).toHaveCount(0);

  const details = await (await page.request.post('/api/accounts/get', { data: { id: await accountId(page, member) } })).json();
  expect(details.groups).toEqual([]);
  await shell.signOut();
});

test('an admin adds a form, names its columns, renames one and retires another', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const form = uniqueName('Mileage');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forms' }).click();
  await page.getByLabel('Form name').fill(form);
  await page.getByRole('button', { name: 'Add form' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Form ${form} added.` })).toBeVisible();

  const panel = page.getByRole('region', { name: form, exact: true });
  for (const column of ['Distance', 'Rate', 'Vehicle']) {
    await panel.getByLabel(`New column in ${form}`).fill(column);
    await panel.getByRole('button', { name: 'Add column' }).click();
    await expect(panel.getByRole('listitem').filter({ hasText: column })).toBeVisible();
  }
  // An empty name is refused in the form's panel, and the editor stays open.
  await panel.getByRole('button', { name: `Rename ${form} / Rate` }).click();
  await panel.getByLabel(`New name for ${form} / Rate`).fill('  ');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByRole('alert')).toHaveText("Enter the column's name.");
  await panel.getByLabel(`New name for ${form} / Rate`).fill('Rate per km');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Column renamed to Rate per km.' })).toBeVisible();
  await panel.getByRole('button', { name: `Retire ${form} / Vehicle` }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Column Vehicle retired.' })).toBeVisible();
  await expect(panel.getByRole('button', { name: `Restore ${form} / Vehicle` })).toBeVisible();

  // The tenant defaults show the live columns only, under their new names.
  await page.getByRole('link', { name: 'Tenant defaults' }).click();
  await expect(matrixRow(page, form, 'Rate per km')).toBeVisible();
  await expect(matrixRow(page, form, 'Distance')).toBeVisible();
  await expect(matrixRow(page, form, 'Vehicle')).toHaveCount(0);
  await shell.signOut();
});
