import { expect, test } from '@playwright/test';
import { downloadCsv, env, signIn, SignInPage } from '../fixtures/rollcall';

test('two browsers of one person hold one seat, and the administrator signs that person out', async ({ browser }) => {
  const contexts = await Promise.all([browser.newContext(), browser.newContext(), browser.newContext()]);
  const [admin, laptop, phone] = await Promise.all(contexts.map((c) => c.newPage()));
  const person = `Test ${env.licenseUser}`;
  try {
    await signIn(laptop, env.licenseTenant, env.licenseUser);
    await signIn(phone, env.licenseTenant, env.licenseUser);

    const shell = await signIn(admin, env.licenseTenant, env.licenseAdmin);
    await shell.go('License');
    await expect(admin.getByRole('heading', { name: 'License', level: 1 })).toBeVisible();
    const holders = admin.getByRole('region', { name: 'Signed in now' });
    const row = holders.getByRole('row').filter({ hasText: person });
    // One row for the person, both browsers in it, one seat between them.
    await expect(row).toHaveCount(1);
    await expect(row.getByRole('list', { name: `${person}'s devices` }).getByRole('listitem')).toHaveCount(2);
    await expect(row).toContainText('2 devices, one seat');
    // Seats owned, In use, Reserved for administrators, Free.
    const inUse = admin.getByRole('definition').nth(1);
    await expect(inUse).toHaveText('2');
    // No sign-out button on the administrator's own row.
    const own = holders.getByRole('row').filter({ hasText: `Test ${env.licenseAdmin}` });
    await expect(own.getByRole('button')).toHaveCount(0);

    await row.getByRole('button', { name: `Sign out ${person}` }).click();
    const dialog = admin.getByRole('dialog', { name: `Sign out ${person}?` });
    await expect(dialog).toContainText('signed out on every device');
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await expect(dialog).toBeHidden();
    await expect(admin.getByRole('status').filter({ hasText: `${person} is signed out; their seat is free.` })).toBeVisible();
    await expect(holders.getByRole('row').filter({ hasText: person })).toHaveCount(0);
    await expect(inUse).toHaveText('1');

    // The person's browsers are told why on their next request: one opens
    // a page, the other is reloaded.
    await laptop.getByRole('link', { name: 'Change password' }).click();
    await expect(laptop.getByRole('heading', { name: 'You have been signed out' })).toBeVisible();
    await expect(laptop.getByRole('alert')).toHaveText('Your administrator signed you out to free a seat.');
    await phone.reload();
    await expect(phone.getByRole('alert')).toHaveText('Your administrator signed you out to free a seat.');

    // Signing in again starts from the same organisation and username.
    await laptop.getByRole('button', { name: 'Sign in again' }).click();
    await expect(laptop.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(laptop.getByLabel('Organisation')).toHaveValue(env.licenseTenant);
    await expect(laptop.getByLabel('Username')).toHaveValue(env.licenseUser);
    await new SignInPage(laptop).signIn(env.licenseTenant, env.licenseUser, env.password);
    await expect(laptop.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  } finally {
    for (const p of [admin, laptop, phone]) {
      await p.request.post('/api/logout', { data: {} });
    }
    await Promise.all(contexts.map((c) => c.close()));
  }
});

test('a sign-in refused for lack of a seat shows in the usage chart and its table', async ({ browser }) => {
  const contexts = await Promise.all([1, 2, 3, 4].map(() => browser.newContext()));
  const [admin, second, third, turnedAway] = await Promise.all(contexts.map((c) => c.newPage()));
  try {
    const shell = await signIn(admin, env.licenseTenant, env.licenseAdmin);
    await signIn(second, env.licenseTenant, 'lic2');
    await signIn(third, env.licenseTenant, 'lic3');
    // All 3 seats are held: the fourth person is turned away.
    const refused = new SignInPage(turnedAway);
    await refused.open();
    await refused.signIn(env.licenseTenant, env.licenseUser, env.password);
    await expect(refused.alert()).toContainText('All 3 seats for License Test are in use.');

    await shell.go('License');
    const history = admin.getByRole('region', { name: 'Usage history' });
    await expect(history.getByRole('radio', { name: 'Last 24 hours' })).toBeChecked();
    await expect(admin.getByText("Times are in the organisation's time zone, UTC.")).toBeVisible();
    const chart = history.getByRole('img', { name: 'People signed in, seats owned and refused sign-ins' });
    await expect(chart).toBeVisible();
    await expect(chart).toHaveAccessibleDescription(/at most 3 people signed in at once, with 3 seats owned now; [1-9]\d* sign-ins? (was|were) refused/);

    await history.getByText('The numbers as a table').click();
    const table = history.getByRole('table', { name: 'Last 24 hours, by hour' });
    await expect(table.getByRole('columnheader')).toHaveText(['Hour', 'Most people signed in', 'Seats owned', 'Refused sign-ins']);
    // Newest first: this hour, with the refusal and the three people.
    const thisHour = table.getByRole('row').nth(1).getByRole('cell');
    await expect(thisHour.nth(1)).toHaveText('3');
    await expect(thisHour.nth(2)).toHaveText('3');
    await expect(thisHour.nth(3)).toHaveText(/^[1-9]\d*$/);

    // Other periods redraw from the same data, by day.
    await history.getByRole('radio', { name: 'Last 30 days' }).check();
    await expect(history.getByRole('table', { name: 'Last 30 days, by day' })).toBeAttached();
    const file = await downloadCsv(admin, history.getByRole('button', { name: 'Download CSV' }), 'seat-usage-30d.csv');
    if (file) {
      // Days of the organisation's calendar (UTC here), each ending where the next begins.
      const lines = file.text.trim().split('\r\n');
      expect(lines[0]).toBe('start,end,peak_people,seats,refused');
      expect(lines[lines.length - 1]).toMatch(/^\d{4}-\d\d-\d\dT00:00:00Z,\d{4}-\d\d-\d\dT00:00:00Z,3,3,[1-9]\d*$/);
    }
  } finally {
    for (const p of [admin, second, third, turnedAway]) {
      await p.request.post('/api/logout', { data: {} });
    }
    await Promise.all(contexts.map((c) => c.close()));
  }
});

test('the License page shows the sign-in link, which opens sign-in with the organisation filled in', async ({ browser }) => {
  const [adminContext, staffContext] = await Promise.all([browser.newContext(), browser.newContext()]);
  const [admin, staff] = await Promise.all([adminContext.newPage(), staffContext.newPage()]);
  try {
    const shell = await signIn(admin, env.licenseTenant, env.licenseAdmin);
    await shell.go('License');
    const panel = admin.getByRole('region', { name: 'Your sign-in link' });
    const link = panel.getByRole('link');
    await expect(link).toHaveText(new RegExp(`/\\?org=${env.licenseTenant}$`));
    const href = await link.getAttribute('href');
    await staff.goto(href ?? '');
    await expect(staff.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(staff.getByLabel('Organisation')).toHaveValue(env.licenseTenant);
    await shell.signOut();
  } finally {
    await Promise.all([adminContext.close(), staffContext.close()]);
  }
});
