import { expect, test } from '@playwright/test';
import { AppShell, env, SignInPage, signIn } from '../fixtures/rollcall';

test('with 2 seats the third person is refused until someone signs out', async ({ browser }) => {
  const [first, second, third] = env.seatUsers;
  const contexts = await Promise.all([browser.newContext(), browser.newContext(), browser.newContext()]);
  const [p1, p2, p3] = await Promise.all(contexts.map((c) => c.newPage()));
  try {
    await signIn(p1, env.seatsTenant, first);
    await signIn(p2, env.seatsTenant, second);

    const thirdSignIn = new SignInPage(p3);
    await thirdSignIn.open();
    await thirdSignIn.signIn(env.seatsTenant, third, env.password);
    await expect(thirdSignIn.alert()).toHaveText(
      'All 2 seats for Seat Test are in use. Try again when someone signs out, or ask your administrator for more seats.',
    );
    await expect(p3.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);

    await new AppShell(p1).signOut();

    await thirdSignIn.signIn(env.seatsTenant, third, env.password);
    await expect(p3.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  } finally {
    // Free the seats for the next run against the same deployment.
    for (const p of [p1, p2, p3]) {
      await p.request.post('/api/logout', { data: {} });
    }
    await Promise.all(contexts.map((c) => c.close()));
  }
});
