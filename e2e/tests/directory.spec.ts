import { expect, test, type Page } from '@playwright/test';
import { ad, env, SignInPage, signIn } from '../fixtures/rollcall';

// One story, in order: connect the directory, create a directory account,
// sign in with it, and meet a person the directory has disabled.
test.describe.configure({ mode: 'serial' });

async function openDirectorySettings(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('link', { name: 'Directory settings' }).click();
  await expect(page.getByRole('heading', { name: 'Directory' })).toBeVisible();
}

test('an administrator connects Active Directory and Test connection succeeds', async ({ page }) => {
  await signIn(page, env.adTenant, env.adAdmin);
  await openDirectorySettings(page);

  // A wrong address is explained beside the field, before anything is sent.
  await page.getByLabel('Server address').fill('https://dc1');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByText('The address starts with ldaps://')).toBeVisible();

  await page.getByLabel('Let people sign in with Active Directory').check();
  await page.getByLabel('Server address').fill(ad('AD_URL'));
  await page.getByLabel('Or upload the CA certificate file').setInputFiles(ad('AD_CA'));
  await expect(page.getByLabel('CA certificate (PEM)')).toHaveValue(/BEGIN CERTIFICATE/);
  await page.getByLabel('UPN suffix').fill(ad('AD_REALM'));
  await page.getByLabel('NetBIOS domain').fill(ad('AD_DOMAIN'));
  await page.getByLabel('Base DN').fill(ad('AD_BASE'));
  await page.getByLabel('Look-up account name').fill(ad('AD_LOOKUP'));
  await page.getByLabel('Look-up account password').fill(ad('AD_LOOKUP_PASSWORD'));

  // Unencrypted LDAP is only ever with a warning.
  await expect(page.getByText('Unencrypted: people')).toHaveCount(0);

  await page.getByRole('button', { name: 'Test connection' }).click();
  const status = page.getByRole('status').filter({ hasText: 'Test connection' });
  await expect(status).toContainText('Test connection succeeded.');
  await expect(status).toContainText(`Naming context: ${ad('AD_BASE')}.`);

  await page.getByRole('button', { name: 'Save directory settings' }).click();
  await expect(page.getByText('Directory settings saved. Directory sign-in is on.')).toBeVisible();

  // The password is write-only: after a reload it is not in the page.
  await page.reload();
  await expect(page.getByLabel('Look-up account password')).toHaveValue('');
  await expect(page.getByText('A password is stored (it is never shown).')).toBeVisible();
  expect(await page.content()).not.toContain(ad('AD_LOOKUP_PASSWORD'));
});

test('an administrator creates a directory account from the domain username', async ({ page }) => {
  await signIn(page, env.adTenant, env.adAdmin);
  await page.goto('/accounts/new');
  await page.getByLabel('Account type').selectOption({ label: 'Active Directory domain account' });
  await expect(page.getByLabel('Password', { exact: true })).toHaveCount(0);

  await page.getByLabel('Username').fill('nobody-here');
  await page.getByRole('button', { name: 'Look up in the directory' }).click();
  await expect(page.getByText('The directory has no person with the username “nobody-here”')).toBeVisible();

  await page.getByLabel('Username').fill('HANK');
  await page.getByRole('button', { name: 'Look up in the directory' }).click();
  await expect(page.getByLabel('First name')).toHaveValue('Hank');
  await expect(page.getByLabel('Last name')).toHaveValue('Hill');
  await expect(page.getByLabel('Email')).toHaveValue(`hank@${ad('AD_REALM')}`);
  await expect(page.getByLabel('Username')).toHaveValue('hank');
  for (const field of ['First name', 'Last name', 'Email']) {
    await expect(page.getByLabel(field)).not.toBeEditable();
  }
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('Account hank created.')).toBeVisible();

  // Bob, whom the directory has disabled, for the last test.
  const bob = await page.request.post('/api/accounts/create', {
    data: { account: { username: 'bob', account_type: 'directory', role: 'user' } },
  });
  expect(bob.ok(), await bob.text()).toBeTruthy();
});

test('a directory person signs in with the domain password and takes a seat', async ({ browser, page }) => {
  const context = await browser.newContext();
  const hankPage = await context.newPage();
  try {
    const hank = await signIn(hankPage, env.adTenant, 'hank', 'HankPass1');
    await hank.expectSignedInAs('Hank Hill');
    // The directory owns the password: Rollcall offers no form for it.
    await expect(hankPage.getByRole('link', { name: 'Change password' })).toHaveCount(0);

    await signIn(page, env.adTenant, env.adAdmin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'License' }).click();
    await expect(page.getByRole('table', { name: 'Who holds a seat' }).getByRole('row', { name: /hank/ })).toBeVisible();

    // A wrong directory password gets the same answer as any other.
    const again = await browser.newContext();
    const wrong = new SignInPage(await again.newPage());
    await wrong.open();
    await wrong.signIn(env.adTenant, 'hank', 'not-the-password');
    await expect(wrong.alert()).toHaveText('The organisation, username or password is not correct. Check them and try again.');
    await again.close();
  } finally {
    await hankPage.request.post('/api/logout', { data: {} });
    await page.request.post('/api/logout', { data: {} });
    await context.close();
  }
});

test('a person disabled in the directory is told so, and what to do', async ({ page }) => {
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await signInPage.signIn(env.adTenant, 'bob', 'BobPass1');
  await expect(signInPage.alert()).toHaveText(
    "Your account is disabled in your organisation's directory. Ask your IT desk to enable it.",
  );
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);
});
