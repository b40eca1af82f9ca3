import { expect, test, type Page } from '@playwright/test';
import { checkScreen } from '../fixtures/a11y';
import { AppShell, env, releaseSeat, SignInPage, signIn } from '../fixtures/rollcall';

// Every screen and state that matters, through axe-core's WCAG 2.0/2.1/2.2
// A and AA rules and at 360 px wide (issue #17).
test.afterEach(releaseSeat);

function heading(page: Page, name: string | RegExp) {
  return expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

/** Waits for the page whose heading is `name`, then checks it as `state`. */
async function checkPage(page: Page, name: string | RegExp, state: string) {
  await heading(page, name);
  await checkScreen(page, state);
}

test('the sign-in page and the link pages', async ({ page }) => {
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await checkScreen(page, 'sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Enter your organisation').first()).toBeVisible();
  await checkScreen(page, 'sign-in with every field missing');
  await signInPage.signIn(env.tenant, env.user, 'Not-the-password1!');
  await expect(signInPage.alert()).toBeVisible();
  await checkScreen(page, 'sign-in refused');

  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await checkPage(page, 'Forgot password?', 'forgot password');
  await page.getByLabel('Organisation').fill('');
  await page.getByLabel('Username').fill('');
  await page.getByRole('button', { name: /send/i }).click();
  await expect(page.getByText('Enter your organisation.')).toBeVisible();
  await checkScreen(page, 'forgot password with errors');

  for (const path of ['/invitation#not-a-token', '/reset-password#not-a-token']) {
    await page.goto(path);
    await checkPage(page, 'This link is not valid', path);
  }
});

test('what a user sees', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.user);
  await checkPage(page, /^Welcome, /, 'home');
  await page.getByRole('link', { name: 'Change password' }).click();
  await checkPage(page, 'Change password', 'change password');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.locator('[aria-invalid="true"]').first()).toBeVisible();
  await checkScreen(page, 'change password with errors');
  await page.goto('/license');
  await checkPage(page, 'Administrators only', 'administrators only');
  await page.goto('/no-such-page');
  await checkPage(page, 'Page not found', 'page not found');
  await shell.signOut();
});

test('the accounts screens', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  await checkPage(page, 'Accounts', 'accounts list');

  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: 'Create user' }).click();
  await checkPage(page, /^Create/, 'create form');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.locator('[aria-invalid="true"]').first()).toBeVisible();
  await checkScreen(page, 'create form with inline errors');

  await shell.go('Accounts');
  await page.getByRole('link', { name: 'Import CSV' }).click();
  await checkPage(page, 'Import accounts', 'import');

  await shell.go('Accounts');
  await page.getByRole('link', { name: env.user, exact: true }).click();
  await checkPage(page, `Account ${env.user}`, 'edit account');
  await page.getByRole('button', { name: /^Delete / }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await checkScreen(page, 'delete dialog open');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();

  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Permissions' }).click();
  await checkPage(page, `Account ${env.user} — permissions`, "an account's permission matrix");
  await shell.signOut();
});

test('groups, forms and the permission matrices', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
  await checkPage(page, 'Groups', 'groups');
  await page.getByRole('button', { name: 'Add group' }).click();
  await expect(page.locator('[aria-invalid="true"]').first()).toBeVisible();
  await checkScreen(page, 'groups with an error');
  const group = `A11y ${Date.now().toString(36)}`;
  await page.getByLabel('Group name').fill(group);
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('link', { name: `Permissions of ${group}` }).click();
  await checkPage(page, `Group ${group} — form permissions`, "a group's permission matrix");
  await page.getByRole('button', { name: 'Clear all overrides' }).click();
  await expect(page.getByRole('dialog', { name: 'Clear all overrides?' })).toBeVisible();
  await checkScreen(page, 'clear-overrides dialog open');
  await page.keyboard.press('Escape');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forms' }).click();
  await checkPage(page, 'Forms', 'forms');
  await page.getByRole('link', { name: 'Tenant defaults' }).click();
  await checkPage(page, 'Tenant defaults', 'tenant defaults');
  await shell.signOut();
});

test('clients, settings, directory, license and audit', async ({ page }) => {
  const shell = await signIn(page, env.formsTenant, env.formsAdmin);
  await shell.go('Clients');
  await checkPage(page, 'Clients', 'clients');
  await shell.go('Settings');
  await checkPage(page, 'Settings', 'settings');
  await page.getByRole('link', { name: 'Directory settings' }).click();
  await checkPage(page, 'Directory', 'directory settings');
  await shell.go('License');
  await checkPage(page, 'License', 'license');
  await shell.go('Audit');
  await checkPage(page, 'Audit trail', 'audit trail');
  await shell.signOut();
});

test('keyboard and screen-reader focus: skip link, headings, first invalid field, dialogs', async ({ page }) => {
  // Sign-in: a failed submit puts focus on the first field in error.
  const signInPage = new SignInPage(page);
  await signInPage.open();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Organisation')).toBeFocused();
  // A refused sign-in (no field in error): focus on the message.
  await signInPage.signIn(env.tenant, env.admin, 'Not-the-password1!');
  await expect(signInPage.alert()).toBeFocused();
  // A successful one: focus on the heading of the page that replaces the form.
  const shell = await signIn(page, env.tenant, env.admin);
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeFocused();

  // After sign-in or a reload the first Tab reaches the skip link, which
  // jumps to the content.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('#main')).toBeFocused();

  // Each navigation puts focus on the new page's heading.
  await shell.go('Accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeFocused();

  // Every control Tab reaches shows where focus is (SC 2.4.7): a ring or an outline.
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        what: `${el.tagName.toLowerCase()} ${el.textContent?.trim().slice(0, 30) ?? ''}`,
        shown: style.boxShadow !== 'none' || (style.outlineStyle !== 'none' && style.outlineWidth !== '0px'),
      };
    });
    if (focus) expect(focus.shown, `no visible focus on ${focus.what}`).toBeTruthy();
  }

  // A failed submit puts focus on the first field in error.
  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: 'Create user' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /^Create/ })).toBeFocused();
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.locator('#main [aria-invalid="true"]').first()).toBeFocused();

  // A dialog takes focus, keeps it inside, and gives it back when closed.
  await shell.go('Accounts');
  await page.getByRole('link', { name: env.user, exact: true }).click();
  const opener = page.getByRole('button', { name: /^Delete / });
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  // Tab past every control of the dialog: focus never reaches the page behind.
  const controls = await dialog.locator('button, a, input, select, textarea').count();
  for (let i = 0; i <= controls; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const active = document.activeElement;
      if (!active || active === document.body) return 'nowhere (the browser)';
      return active.closest('dialog') ? 'dialog' : active.outerHTML.slice(0, 80);
    });
    expect(['dialog', 'nowhere (the browser)']).toContain(where);
  }
  await dialog.getByRole('button', { name: 'Cancel' }).focus();
  // Modal: the rest of the page is inert until it closes.
  expect(await page.evaluate(() => !!document.querySelector('dialog:modal'))).toBeTruthy();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // The opener is the page's focused element again. (Not `toBeFocused`: the
  // last Tab above may have taken focus to the browser's own controls, as
  // headless Firefox does, and the page then has no focus at all until a
  // person clicks into it, which automation cannot do.)
  await expect.poll(() => opener.evaluate((el) => el === document.activeElement)).toBe(true);

  await shell.signOut();
});

// Its own page: after the dialog's last Tab above, headless Firefox leaves
// the page without focus for good.
test('the permission matrix moves between cells by arrow keys without changing them', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  await page.getByRole('link', { name: env.user, exact: true }).click();
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Permissions' }).click();
  const cells = page.locator('select.matrix-cell');
  await expect(cells.first()).toBeVisible();
  expect(await cells.count()).toBeGreaterThan(1);
  const before = await cells.nth(0).inputValue();
  await cells.nth(0).focus();
  await page.keyboard.press('ArrowDown');
  await expect(cells.nth(1)).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(cells.nth(0)).toBeFocused();
  await expect(cells.nth(0)).toHaveValue(before);
  await page.keyboard.press('End');
  await expect(cells.last()).toBeFocused();
  await page.keyboard.press('Home');
  await expect(cells.first()).toBeFocused();
  await shell.signOut();
});
