import { expect, test } from '@playwright/test';
import { auditRowsFor, downloadCsv, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('a CSV import is previewed with per-row errors, then imported with progress; the list searches, sorts, pages and exports', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const shell = await signIn(page, env.formsTenant, env.formsAdmin);
  const client = uniqueName('Initech');
  expect((await page.request.post('/api/clients/save', { data: { client: { name: client } } })).ok()).toBeTruthy();

  const prefix = uniqueName('imp');
  const good = Array.from({ length: 55 }, (_, i) => {
    const n = String(i).padStart(2, '0');
    return `${prefix}-${n},Imported,Person ${n},${prefix}-${n}@example.org,user,${client},Imported pass ${n}!`;
  });
  const bad = [
    `${prefix}-x1,No,Email,not-an-email,user,${client},Imported pass x!`,
    `${prefix}-x2,No,Client,${prefix}-x2@example.org,user,Nobody Inc,Imported pass y!`,
  ];
  const csv = ['username,first_name,last_name,email,role,clients,password', ...good, ...bad].join('\r\n');

  await shell.go('Accounts');
  await page.getByRole('link', { name: 'Import CSV' }).click();
  await expect(page.getByRole('heading', { name: 'Import accounts' })).toBeVisible();
  await page.getByLabel('CSV file').setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Preview' }).click();

  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.getByRole('status')).toContainText('55 accounts ready to import; 2 rows with errors will be skipped.');
  await expect(preview.getByRole('row').filter({ hasText: `${prefix}-x1` })).toContainText('Enter an email address');
  await expect(preview.getByRole('row').filter({ hasText: `${prefix}-x2` })).toContainText('no active client named “Nobody Inc”');

  // Nothing is written before confirming.
  const before = await page.request.post('/api/accounts/list', { data: { query: { search: prefix } } });
  expect((await before.json()).total).toBe(0);

  await preview.getByRole('button', { name: 'Import 55 accounts' }).click();
  await expect(page.getByRole('progressbar')).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: '55 accounts imported.' })).toBeVisible({ timeout: 60_000 });

  // Server-side search, pages and sort.
  await page.getByLabel('Search').fill(prefix);
  await page.getByRole('button', { name: 'Search' }).click();
  const users = page.getByRole('region', { name: 'Users' });
  await expect(users.getByText('Page 1 of 2 · 55 accounts')).toBeVisible();
  await expect(users.getByRole('row').filter({ hasText: prefix })).toHaveCount(50);
  await users.getByRole('button', { name: 'Next' }).click();
  await expect(users.getByText('Page 2 of 2 · 55 accounts')).toBeVisible();
  await expect(users.getByRole('row').filter({ hasText: prefix })).toHaveCount(5);

  await users.getByRole('button', { name: 'Username' }).click();
  await expect(users.getByRole('columnheader', { name: 'Username' })).toHaveAttribute('aria-sort', 'descending');
  await expect(users.getByText('Page 1 of 2 · 55 accounts')).toBeVisible();
  await expect(users.getByRole('row').nth(1)).toContainText(`${prefix}-54`);

  // Filters: an unknown search says so.
  await page.getByLabel('Search').fill(`${prefix}-nobody`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(users.getByText('No users match these filters.')).toBeVisible();

  // Export the filtered list.
  await page.getByLabel('Search').fill(prefix);
  await page.getByRole('button', { name: 'Search' }).click();
  const file = await downloadCsv(page, page.getByRole('button', { name: 'Export CSV' }), 'rollcall-accounts.csv');
  if (file) {
    const exported = file.text.trim().split('\r\n');
    expect(exported[0]).toBe(
      'username,first_name,last_name,email,role,status,account_type,expires_on,clients,groups,case_access,must_change_password,rotate_password,created_at',
    );
    expect(exported).toHaveLength(56);
    expect(exported[1]).toContain(`${prefix}-00,Imported,Person 00,`);

    // The exported file goes straight back into the import: every column is
    // understood (created_at is ignored, and said so); these people exist.
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.getByLabel('CSV file').setInputFiles(file.path);
    await page.getByRole('button', { name: 'Preview' }).click();
    const again = page.getByRole('region', { name: 'Preview' });
    await expect(again.getByRole('status')).toContainText('0 accounts ready to import; 55 rows with errors will be skipped.');
    await expect(again.getByRole('list', { name: 'About the file' })).toContainText('The column created_at is ignored');
    await expect(again.getByRole('row').filter({ hasText: `${prefix}-00` })).toContainText('already taken');
    await page.getByRole('link', { name: 'Cancel' }).click();
  }

  // An imported account signs in with its password from the file, and must change it.
  const audit = await auditRowsFor(page, '');
  await expect(audit.filter({ hasText: 'Accounts imported from CSV' }).first()).toBeVisible();
  await shell.signOut();
  await signIn(page, env.formsTenant, `${prefix}-07`, 'Imported pass 07!');
  await expect(page.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
});
