import { expect, test, type Page } from '@playwright/test';
import { ageLinks, mailTo } from '../fixtures/mail';
import { auditRowsFor, createAccount, env, releaseSeat, signIn, uniqueName } from '../fixtures/rollcall';

test.afterEach(releaseSeat);

const CHOSEN = 'Harbour lights 7!';

/** Opens a link from an email as the person would, signed out. */
async function openLink(page: Page, link: string) {
  // The link points at the server under test (ROLLCALL_PUBLIC_URL).
  await page.goto(link);
}

test('an invited person sets their password from the emailed link, then signs in', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  await shell.go('Accounts');
  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: 'Create user' }).click();
  const username = uniqueName('invitee');
  const email = `${username}@example.org`;
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('First name').fill('Ivy');
  await page.getByLabel('Last name').fill('Invited');
  await page.getByLabel('Email').fill(email);
  // The invitation is the default: no password to type, no forced change.
  await expect(page.getByLabel('Send an invitation instead of setting a password')).toBeChecked();
  await expect(page.getByLabel('Assign password')).toHaveCount(0);
  await expect(page.getByLabel('Require password change at next login')).toHaveCount(0);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `invitation to choose a password was emailed to ${email}` })).toBeVisible();
  const row = page.getByRole('region', { name: 'Users' }).getByRole('row').filter({ hasText: username });
  await expect(row).toContainText('Invited');

  // The account page shows the pending invitation.
  await row.getByRole('link', { name: username }).click();
  const invitation = page.getByRole('region', { name: 'Invitation' });
  await expect(invitation).toContainText('Pending');
  await expect(invitation).toContainText('by Test e2e-admin');
  await shell.signOut();

  const mail = await mailTo(email);
  expect(mail.subject).toBe('Test e2e-admin invited you to End to End on Rollcall');
  expect(mail.text).toContain(`Your username is ${username}.`);
  expect(mail.text).toMatch(/until \d{1,2} \w+ \d{4} at \d\d:\d\d UTC/);
  expect(mail.link).toContain('/invitation#');
  // The organisation's sign-in link, for every later sign-in.
  expect(mail.text).toContain(`Sign in afterwards at ${new URL(mail.link).origin}/?org=${env.tenant}`);

  await openLink(page, mail.link);
  await expect(page.getByRole('heading', { name: 'Welcome to End to End' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: username })).toBeVisible();
  // The token leaves the address bar once read.
  expect(page.url()).not.toContain('#');

  // A weak password: the checklist shows what is missing, and saving is refused beside the field.
  await page.getByLabel('New password').fill('weak');
  await page.getByLabel('Re-type password').fill('weak');
  const rules = page.getByRole('list', { name: 'The password needs:' });
  await expect(rules.getByRole('listitem').filter({ hasText: 'not met yet' }).first()).toBeVisible();
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('The password does not meet these rules')).toBeVisible();
  await expect(page.getByLabel('New password')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('New password').fill(CHOSEN);
  await page.getByLabel('Re-type password').fill(CHOSEN);
  await page.getByRole('button', { name: 'Set password' }).click();

  // Back at sign-in, organisation and username filled in.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Your password is set.' })).toBeVisible();
  await expect(page.getByLabel('Organisation')).toHaveValue(env.tenant);
  await expect(page.getByLabel('Username')).toHaveValue(username);
  await page.getByLabel('Password').fill(CHOSEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('banner').getByText('Ivy Invited')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  // The same link again: used.
  await openLink(page, mail.link);
  await expect(page.getByRole('heading', { name: 'This invitation was already used' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Forgot password?' })).toBeVisible();

  const admin = await signIn(page, env.tenant, env.admin);
  const audit = await auditRowsFor(page, username);
  await expect(audit.filter({ hasText: 'Invitation accepted' })).toHaveCount(1);
  await expect(audit.filter({ hasText: 'Invitation sent' })).toHaveCount(1);
  await admin.signOut();
});

test('resent, revoked and expired invitation links each say what happened', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('resent');
  const email = `${username}@example.org`;
  await createAccount(page, username, {
    first_name: 'Rex',
    last_name: 'Resent',
    invite: true,
    password: '',
    password_confirm: '',
  });
  const first = await mailTo(email, 1);

  await shell.go('Accounts');
  await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: username }).click();
  const invitation = page.getByRole('region', { name: 'Invitation' });
  await invitation.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(invitation.getByRole('status')).toContainText(`A new invitation was emailed to ${email}`);
  const second = await mailTo(email, 2);
  expect(second.link).not.toBe(first.link);

  // Revoking asks first, then the newest link stops working too.
  await invitation.getByRole('button', { name: 'Revoke invitation' }).click();
  const dialog = page.getByRole('dialog', { name: `Revoke the invitation of ${username}?` });
  await dialog.getByRole('button', { name: 'Revoke invitation' }).click();
  await expect(invitation).toContainText('Revoked');
  await invitation.getByRole('button', { name: 'Resend invitation' }).click();
  const third = await mailTo(email, 3);
  await shell.signOut();

  await openLink(page, first.link);
  await expect(page.getByRole('heading', { name: 'A newer invitation was sent' })).toBeVisible();
  await openLink(page, second.link);
  await expect(page.getByRole('heading', { name: 'This invitation was withdrawn' })).toBeVisible();

  // 73 hours later (the links are moved back in time: the server runs on the real clock).
  ageLinks(username, 73);
  await openLink(page, third.link);
  await expect(page.getByRole('heading', { name: 'This invitation has expired' })).toBeVisible();
  await expect(page.getByText('Ask your administrator to send you a new invitation.')).toBeVisible();

  await openLink(page, `${new URL(third.link).origin}/invitation#not-a-real-token`);
  await expect(page.getByRole('heading', { name: 'This link is not valid' })).toBeVisible();
});

test('forgot password answers the same for anyone; the account gets a working link', async ({ page }) => {
  const shell = await signIn(page, env.tenant, env.admin);
  const username = uniqueName('forgetful');
  await createAccount(page, username, { first_name: 'Fay', last_name: 'Forgetful' });
  await shell.signOut();

  const answers: string[] = [];
  for (const who of [`ghost-${username}`, username]) {
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await expect(page.getByRole('heading', { name: 'Forgot password?' })).toBeVisible();
    await page.getByLabel('Organisation').fill(env.tenant);
    await page.getByLabel('Username').fill(who);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    const answer = page.getByRole('status');
    await expect(answer).toContainText('If this account exists');
    answers.push((await answer.textContent()) ?? '');
    await page.getByRole('link', { name: 'Back to sign in' }).click();
  }
  expect(answers[0]).toBe(answers[1]);

  const mail = await mailTo(`${username}@example.org`);
  expect(mail.subject).toBe('Reset your Rollcall password for End to End');
  await openLink(page, mail.link);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await page.getByLabel('New password').fill(CHOSEN);
  await page.getByLabel('Re-type password').fill(CHOSEN);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByLabel('Username')).toHaveValue(username);
  await page.getByLabel('Password').fill(CHOSEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('banner').getByText('Fay Forgetful')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();

  // An empty username is explained beside the field; nothing is sent.
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.getByLabel('Username').fill('');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByText('Enter your username.')).toBeVisible();
});
