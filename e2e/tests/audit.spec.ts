import { expect, test } from '@playwright/test';
import { createAccount, downloadCsv, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

test('the audit trail shows each action, filters it and exports it as CSV', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('audited');
  await createAccount(page, username, { first_name: 'Ada', last_name: 'Audit' });

  await shell.go('Audit');
  await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
  const events = page.getByRole('region', { name: 'Events' });
  const createdRow = events.getByRole('row').filter({ hasText: username });
  await expect(createdRow.first()).toContainText('Account created');
  await expect(createdRow.first()).toContainText(env.admin);
  await expect(events.getByRole('row').filter({ hasText: 'Signed in' }).first()).toBeVisible();

  // Filter by action and target.
  await page.getByLabel('Action', { exact: true }).selectOption('Account created');
  await page.getByLabel('Target', { exact: true }).fill(username);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(events.getByRole('row')).toHaveCount(2); // header + one event
  await expect(events.getByRole('row').nth(1)).toContainText(username);

  // A reversed date range is explained beside the field.
  await page.getByLabel('From', { exact: true }).fill('2026-11-22');
  await page.getByLabel('To', { exact: true }).fill('2026-11-01');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByText('The last day comes before the first day.')).toBeVisible();
  await page.getByLabel('From', { exact: true }).fill('');
  await page.getByLabel('To', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Apply filters' }).click();

  const file = await downloadCsv(page, page.getByRole('button', { name: 'Export CSV' }), 'rollcall-audit.csv');
  if (file) {
    const lines = file.text.trim().split('\r\n');
    expect(lines[0]).toBe('time,actor,action,target,details,ip,user_agent');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${env.admin},account.created,${username},`);
  }

  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(events.getByRole('row').filter({ hasText: 'Audit trail exported' }).first()).toBeVisible();
});
