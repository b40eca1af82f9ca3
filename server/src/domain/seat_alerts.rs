//! "People were turned away" (issue #15): when sign-ins were refused for
//! lack of a seat on a day of the organisation's calendar (its time zone,
//! #27), the tenant's active administrators get one
//! mail about that day, the day after ("7 sign-ins were refused on 29 Nov;
//! all 10 seats were in use from 09:12 to 11:40"), through the outbox. A
//! tenant setting (`seat_alerts`) turns it off. The `seat_alerts` row,
//! written with the mails, makes it once per tenant and day however many
//! workers run.

use super::usage::{load_seat_changes, load_spans, seats_at, Span};
use super::Services;
use crate::db::{self, scope::Scope};
use crate::error::Result;
use crate::mail::{self, Mail};
use crate::mail::{escape, html_page};
use crate::zone::Zone;
use std::collections::HashMap;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// Days looked back for refusals not yet reported (a worker that was down
/// catches up this far).
pub const LOOK_BACK_DAYS: i64 = 7;

/// How often a server looks for days to report (Lambda: every scheduled
/// event).
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Queues seat alerts every `every` until the process ends (`server serve`).
pub async fn run(svc: Services, every: std::time::Duration) {
    loop {
        match svc.queue_seat_alerts().await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "seat alerts queued"),
            Err(e) => tracing::error!(error = %e, "seat alerts could not be queued"),
        }
        tokio::time::sleep(every).await;
    }
}

/// The stretches of `[from, to)` during which at least as many people as
/// seats owned were signed in (`changes` as for [`seats_at`]), merged.
pub fn full_intervals(
    spans: &[Span],
    changes: &[(OffsetDateTime, u32)],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    // Each person's spans merged, then a sweep, as for the hourly peaks.
    let mut by_person: HashMap<Uuid, Vec<(OffsetDateTime, OffsetDateTime)>> = HashMap::new();
    for s in spans.iter().filter(|s| s.end > s.start) {
        by_person
            .entry(s.person)
            .or_default()
            .push((s.start.max(from), s.end.min(to)));
    }
    let mut events: Vec<(OffsetDateTime, i32)> = Vec::new();
    for mut list in by_person.into_values() {
        list.retain(|(a, b)| b > a);
        list.sort();
        let mut merged: Vec<(OffsetDateTime, OffsetDateTime)> = Vec::new();
        for (a, b) in list {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        for (a, b) in merged {
            events.push((a, 1));
            events.push((b, -1));
        }
    }
    // Seat changes are moments the answer may change too.
    for (at, _) in changes {
        if *at > from && *at < to {
            events.push((*at, 0));
        }
    }
    events.sort();
    let mut out: Vec<(OffsetDateTime, OffsetDateTime)> = Vec::new();
    let mut level = 0;
    let mut open: Option<OffsetDateTime> = None;
    let mut i = 0;
    while i < events.len() {
        let t = events[i].0;
        while i < events.len() && events[i].0 == t {
            level += events[i].1;
            i += 1;
        }
        let seats = seats_at(changes, t);
        let full = seats > 0 && level >= i32::try_from(seats).unwrap_or(i32::MAX);
        match (full, open) {
            (true, None) => open = Some(t),
            (false, Some(start)) => {
                out.push((start, t));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push((start, to));
    }
    out
}

/// What one day's mail reports.
pub struct DayReport<'a> {
    pub tenant_name: &'a str,
    /// A day of `zone`'s calendar; the times below are shown in `zone`.
    pub day: Date,
    pub zone: &'a Zone,
    /// Refused because every seat was held.
    pub refused_full: u32,
    /// Refused because only administrators' reserved seats were free.
    pub refused_reserved: u32,
    /// When every seat was held, with the seats owned then.
    pub full: &'a [(OffsetDateTime, OffsetDateTime, u32)],
    pub license_url: &'a str,
}

/// The mail for one day: subject, text, HTML.
pub fn compose(r: &DayReport<'_>) -> (String, String, String) {
    let date = r
        .day
        .format(format_description!("[day padding:none] [month repr:short]"))
        .unwrap_or_default();
    let long_date = r
        .day
        .format(format_description!(
            "[day padding:none] [month repr:long] [year]"
        ))
        .unwrap_or_default();
    let hm = |t: OffsetDateTime| {
        if r.zone.date_of(t) != r.day {
            // The end of the day itself.
            "24:00".to_owned()
        } else {
            // `2026-11-29 09:12 EST` → `09:12`
            let minute = r.zone.minute(t);
            minute[11..16].to_owned()
        }
    };
    let refused = r.refused_full + r.refused_reserved;
    let sign_ins = if refused == 1 {
        "1 sign-in was".to_owned()
    } else {
        format!("{refused} sign-ins were")
    };
    let mut why: Vec<String> = Vec::new();
    if let Some(&(_, _, seats)) = r.full.first() {
        let spans: Vec<String> = r
            .full
            .iter()
            .map(|(a, b, _)| format!("from {} to {}", hm(*a), hm(*b)))
            .collect();
        why.push(match seats {
            1 => format!("the only seat was in use {}", spans.join(", ")),
            n => format!("all {n} seats were in use {}", spans.join(", ")),
        });
    } else if r.refused_full > 0 {
        why.push(format!("{} had no seats", r.tenant_name));
    }
    if r.refused_reserved > 0 {
        why.push(if r.refused_reserved == refused {
            "the seats that were free are reserved for administrators".to_owned()
        } else {
            format!(
                "{} of them because the seats that were free are reserved for administrators",
                r.refused_reserved
            )
        });
    }
    let subject = format!(
        "{sign_ins} refused on {date}: no free seat at {}",
        r.tenant_name
    );
    let first = format!(
        "{sign_ins} refused on {date} ({}) for {}; {}.",
        match r.zone.name() {
            "UTC" => "UTC".to_owned(),
            place => format!("{place} time"),
        },
        r.tenant_name,
        why.join("; ")
    );
    let second = format!(
        "The License page shows who holds the seats and the usage history: {}. For more seats, contact your Rollcall provider.",
        r.license_url
    );
    let third = format!(
        "You get this mail at most once a day, about the day before ({long_date}). Administrators can turn it off in Settings → Seats."
    );
    let text = format!("{first}\n\n{second}\n\n{third}\n");
    let html = html_page(&[escape(&first), escape(&second), escape(&third)], None);
    (subject, text, html)
}

impl Services {
    /// Queues the mails for every tenant and day of its calendar (up to
    /// [`LOOK_BACK_DAYS`] back, its today excluded) with refused sign-ins
    /// and no mail yet. Returns how many mails were queued. Work across tenants,
    /// said so in code: the refusals are found with [`Scope::EveryTenant`],
    /// each tenant's mail is written in its own scope.
    pub async fn queue_seat_alerts(&self) -> Result<u32> {
        let now = self.now();
        let due = {
            let mut tx = db::begin(&self.pool, Scope::EveryTenant).await?;
            db::seat_alerts::due(&mut tx, now, LOOK_BACK_DAYS as i32).await?
        };
        let mut queued = 0;
        for d in due {
            // One tenant's trouble must not stop the others' mail.
            match self.queue_seat_alert(d.tenant_id, d.day, now).await {
                Ok(n) => queued += n,
                Err(e) => {
                    tracing::error!(tenant = %d.tenant_id, day = %d.day, error = %e, "seat alert not queued; retried on the next run")
                }
            }
        }
        Ok(queued)
    }

    async fn queue_seat_alert(
        &self,
        tenant_id: Uuid,
        day: Date,
        now: OffsetDateTime,
    ) -> Result<u32> {
        let mut tx = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
        let tenant = db::tenants::by_id(&mut tx, tenant_id)
            .await?
            .ok_or_else(app::model::ApiError::internal)?;
        let zone = Zone::stored(&tenant.time_zone);
        let start = zone.start_of(day);
        let end = zone.start_of(day + Duration::DAY);
        let refused = db::seat_alerts::refused_on(&mut tx, tenant_id, start, end).await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        let (refused_full, refused_reserved) = (count(refused.full), count(refused.reserved));
        let total = refused_full + refused_reserved;
        if total == 0 {
            return Ok(0);
        }
        let today = zone.date_of(now);
        let recipients = db::seat_alerts::administrators(&mut tx, tenant_id, today).await?;
        // Claims the day first: another worker that gets here too stops.
        let claimed = db::seat_alerts::claim(
            &mut tx,
            tenant_id,
            day,
            i32::try_from(total).unwrap_or(i32::MAX),
            i32::try_from(recipients.len()).unwrap_or(i32::MAX),
            now,
        )
        .await?;
        if !claimed {
            return Ok(0);
        }
        let spans = load_spans(&mut tx, tenant_id, start, end, now).await?;
        let changes = load_seat_changes(&mut tx, tenant_id).await?;
        let full: Vec<(OffsetDateTime, OffsetDateTime, u32)> =
            full_intervals(&spans, &changes, start, end)
                .into_iter()
                .map(|(a, b)| (a, b, seats_at(&changes, a)))
                .collect();
        let license_url = format!("{}/license", self.settings.public_url);
        let (subject, text, html) = compose(&DayReport {
            tenant_name: &tenant.name,
            day,
            zone: &zone,
            refused_full,
            refused_reserved,
            full: &full,
            license_url: &license_url,
        });
        for to in &recipients {
            mail::enqueue(
                &mut tx,
                Mail {
                    tenant_id: Some(tenant_id),
                    kind: "seat_alert",
                    to,
                    subject: &subject,
                    text: &text,
                    html: &html,
                    secret: None,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        if !recipients.is_empty() {
            self.mail_queued();
        }
        Ok(u32::try_from(recipients.len()).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const D: OffsetDateTime = datetime!(2026-11-29 00:00 UTC);

    fn span(person: u128, from_min: i64, to_min: i64) -> Span {
        Span {
            person: Uuid::from_u128(person),
            start: D + Duration::minutes(from_min),
            end: D + Duration::minutes(to_min),
        }
    }

    #[test]
    fn finds_when_every_seat_was_held() {
        let changes = [(D - Duration::days(30), 2)];
        let spans = [
            span(1, 9 * 60 + 12, 11 * 60 + 40),
            span(2, 8 * 60, 10 * 60),
            span(3, 10 * 60, 12 * 60), // takes over from person 2 at 10:00
            span(1, 9 * 60 + 30, 9 * 60 + 45), // a second device: still one person
        ];
        assert_eq!(
            full_intervals(&spans, &changes, D, D + Duration::DAY),
            [(
                D + Duration::minutes(9 * 60 + 12),
                D + Duration::minutes(11 * 60 + 40)
            )]
        );
        // More seats from 10:30: full only until then.
        let more = [(D - Duration::days(30), 2), (D + Duration::minutes(630), 3)];
        assert_eq!(
            full_intervals(&spans, &more, D, D + Duration::DAY),
            [(
                D + Duration::minutes(9 * 60 + 12),
                D + Duration::minutes(630)
            )]
        );
    }

    #[test]
    fn the_mail_reads_as_the_issue_asks() {
        let full = [(D + Duration::minutes(552), D + Duration::minutes(700), 10)];
        let utc = Zone::utc();
        let report = |refused_full, refused_reserved, full| DayReport {
            tenant_name: "Acme",
            day: date!(2026 - 11 - 29),
            zone: &utc,
            refused_full,
            refused_reserved,
            full,
            license_url: "https://rc.example/license",
        };
        let (subject, text, html) = compose(&report(7, 0, &full));
        assert_eq!(
            subject,
            "7 sign-ins were refused on 29 Nov: no free seat at Acme"
        );
        assert!(
            text.starts_with(
                "7 sign-ins were refused on 29 Nov (UTC) for Acme; all 10 seats were in use from 09:12 to 11:40."
            ),
            "{text}"
        );
        assert!(text.contains("https://rc.example/license"));
        assert!(html.contains("Settings → Seats"));
        let (_, reserved, _) = compose(&report(0, 1, &[]));
        assert!(
            reserved.starts_with("1 sign-in was refused on 29 Nov (UTC) for Acme; the seats that were free are reserved for administrators."),
            "{reserved}"
        );
        let (_, both, _) = compose(&report(2, 1, &full));
        assert!(both.contains("11:40; 1 of them because"), "{both}");
        let (_, none, _) = compose(&report(1, 0, &[]));
        assert!(none.contains("Acme had no seats"), "{none}");
        let escaped = DayReport {
            tenant_name: "A&B",
            ..report(1, 0, &[])
        };
        assert!(compose(&escaped).2.contains("A&amp;B"));
    }

    #[test]
    fn the_mail_speaks_the_organisations_clock() {
        // 29 November in Toronto runs from 05:00 UTC to 05:00 UTC the next day.
        let toronto = Zone::parse("America/Toronto").unwrap();
        let start = toronto.start_of(date!(2026 - 11 - 29));
        let full = [(start + Duration::hours(9), start + Duration::DAY, 3)];
        let (subject, text, _) = compose(&DayReport {
            tenant_name: "Acme",
            day: date!(2026 - 11 - 29),
            zone: &toronto,
            refused_full: 2,
            refused_reserved: 0,
            full: &full,
            license_url: "https://rc.example/license",
        });
        assert!(subject.contains("refused on 29 Nov"), "{subject}");
        assert!(
            text.starts_with("2 sign-ins were refused on 29 Nov (America/Toronto time) for Acme; all 3 seats were in use from 09:00 to 24:00."),
            "{text}"
        );
    }
}
