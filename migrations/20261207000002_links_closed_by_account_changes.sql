-- A link closes when its account changes under it (#25): the email address
-- it was mailed to changed, the account was deactivated or expired, or it
-- no longer has a Rollcall password. The link page says which.
ALTER TABLE password_links DROP CONSTRAINT password_links_closed_reason_check;
ALTER TABLE password_links ADD CONSTRAINT password_links_closed_reason_check
    CHECK (closed_reason IN ('revoked', 'replaced', 'superseded',
                             'email_changed', 'account_deactivated', 'type_changed'));
