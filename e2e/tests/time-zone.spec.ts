import { expect, test } from '@playwright/test';
import { auditRowsFor, createAccount, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

/** `t` in Toronto as the app writes it: `2026-12-08 14:05`. */
function toronto(t: Date) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/Toronto',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(t);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** A time in Toronto within two minutes of `t`, labelled with the zone
 *  (EST in winter, EDT in summer). */
function nearToronto(t: Date) {
  const minutes = [-1, 0, 1].map((m) => toronto(new Date(t.getTime() + m * 60_000)));
  return new RegExp(`(${minutes.join('|')}) E[SD]T`);
}

test('an administrator sets the organisation time zone and sees times in it on the audit trail, the License page and the account page', async ({
  page,
}) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('zoned');
  try {
    await shell.go('Settings');
    const zone = page.getByLabel('Organisation time zone');
    await expect(zone).toHaveValue('UTC');

    // A name that is no zone is explained beside the field.
    await zone.fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByText('“Mars/Olympus” is not a time zone of the IANA database')).toBeVisible();
    await expect(zone).toHaveAttribute('aria-invalid', 'true');

    await zone.fill('america/toronto');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Settings saved.' })).toBeVisible();
    await expect(zone).toHaveValue('America/Toronto');

    const now = new Date();
    await createAccount(page, username, { first_name: 'Zoe', last_name: 'Zone' });

    // The audit trail: labelled, and its times are Toronto's.
    const rows = await auditRowsFor(page, username);
    await expect(page.getByText("Times are in the organisation's time zone, America/Toronto.")).toBeVisible();
    await expect(rows.filter({ hasText: 'Account created' }).first()).toContainText(nearToronto(now));

    // The License page: who holds a seat since when.
    await shell.go('License');
    await expect(page.getByText("Times are in the organisation's time zone, America/Toronto.")).toBeVisible();
    const holders = page.getByRole('table').filter({ hasText: 'Signed in since' });
    await expect(holders.getByRole('row').filter({ hasText: env.admin })).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T/);

    // The account page.
    await shell.go('Accounts');
    await page.getByRole('link', { name: username, exact: true }).click();
    await expect(page.getByText(nearToronto(now)).first()).toBeVisible();
    await expect(page.getByText("Times are in the organisation's time zone, America/Toronto.")).toBeVisible();
  } finally {
    // Back to UTC for the other tests of this tenant.
    const settings = await (await page.request.post('/api/settings/get', { data: {} })).json();
    const reset = await page.request.post('/api/settings/update', { data: { settings: { ...settings, time_zone: 'UTC' } } });
    expect(reset.ok(), 'the e2e tenant is back in UTC for the other tests').toBeTruthy();
  }
});
