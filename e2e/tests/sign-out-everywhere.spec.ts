import { expect, test } from '@playwright/test';
import { env, signIn } from '../fixtures/rollcall';

test('signing out everywhere ends the session on every device, which is told why', async ({ browser }) => {
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [laptop, phone] = await Promise.all(contexts.map((c) => c.newPage()));
  try {
    await signIn(laptop, env.tenant, env.user);
    await signIn(phone, env.tenant, env.user);

    await laptop.getByRole('link', { name: 'Change password' }).click();
    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = laptop.getByRole('dialog', { name: 'Sign out everywhere?' });
    await expect(dialog).toContainText('You will be signed out on every device, this one included');
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();

    await expect(laptop.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(laptop.getByRole('status')).toHaveText('You signed out on every device (2 sessions ended).');

    // The phone learns it on its next request.
    await phone.getByRole('link', { name: 'Change password' }).click();
    await expect(phone.getByRole('heading', { name: 'You have been signed out' })).toBeVisible();
    await expect(phone.getByRole('alert')).toHaveText('You signed out on every device. Sign in again to continue.');
    await phone.getByRole('button', { name: 'Sign in again' }).click();
    await expect(phone.getByLabel('Organisation')).toHaveValue(env.tenant);
  } finally {
    for (const p of [laptop, phone]) {
      await p.request.post('/api/logout', { data: {} });
    }
    await Promise.all(contexts.map((c) => c.close()));
  }
});
