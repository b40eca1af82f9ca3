//! Seat usage history (issue #15), derived from what the database already
//! knows: session start and end times (and the spans of deleted accounts'
//! sessions), refusals in the audit trail, and seat changes in the audit
//! trail. Hours that can no longer change are rolled up once into
//! `seat_usage_hours`, so a year answers from 8,760 rows plus the last day
//! computed afresh.

use super::caller::AdminCaller;
use super::Services;
use crate::db::{self, scope::Scope};
use crate::error::{Error, Result};
use crate::zone::Zone;
use app::model::usage::{UsageBucket, UsagePeriod, UsageReport, UsageRow};
use app::model::ApiError;
use sqlx::PgConnection;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// An hour is final this long after it ends: by then every session that
/// overlapped it has ended, been seen since, or lapsed (the longest idle
/// lease is a day).
pub const FINAL_AFTER: Duration = Duration::DAY;

/// One person signed in from `start` until `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub person: Uuid,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// The most people signed in at the same moment in each of `hours` hours
/// from `from`. A person counts once however many of their sessions
/// overlap; a session ending at the instant another begins hands over
/// without counting both.
pub fn hourly_peaks(spans: &[Span], from: OffsetDateTime, hours: usize) -> Vec<u32> {
    // Each person's spans, merged where they overlap or touch.
    let mut by_person: HashMap<Uuid, Vec<(OffsetDateTime, OffsetDateTime)>> = HashMap::new();
    for s in spans.iter().filter(|s| s.end > s.start) {
        by_person
            .entry(s.person)
            .or_default()
            .push((s.start, s.end));
    }
    let mut events: Vec<(OffsetDateTime, i32)> = Vec::new();
    for mut list in by_person.into_values() {
        list.sort();
        let mut current = list[0];
        for &(start, end) in &list[1..] {
            if start <= current.1 {
                current.1 = current.1.max(end);
            } else {
                events.push((current.0, 1));
                events.push((current.1, -1));
                current = (start, end);
            }
        }
        events.push((current.0, 1));
        events.push((current.1, -1));
    }
    // At one instant, ends before starts.
    events.sort();
    let mut peaks = Vec::with_capacity(hours);
    let mut level: i32 = 0;
    let mut next = 0;
    for h in 0..hours {
        let h0 = from + Duration::hours(h as i64);
        let h1 = h0 + Duration::HOUR;
        while next < events.len() && events[next].0 <= h0 {
            level += events[next].1;
            next += 1;
        }
        let mut peak = level;
        while next < events.len() && events[next].0 < h1 {
            level += events[next].1;
            peak = peak.max(level);
            next += 1;
        }
        peaks.push(u32::try_from(peak).unwrap_or(0));
    }
    peaks
}

/// The seats owned at `t`: the latest change at or before it (`changes`
/// sorted by time), else the first known value.
pub fn seats_at(changes: &[(OffsetDateTime, u32)], t: OffsetDateTime) -> u32 {
    let after = changes.partition_point(|(at, _)| *at <= t);
    match after {
        0 => changes.first().map_or(0, |c| c.1),
        n => changes[n - 1].1,
    }
}

/// Hourly rows folded into the days of `zone`'s calendar: the day's highest
/// peak, its refusals, and the seats at its end. A day starts at its local
/// midnight (its row's `start`), so it has 23 or 25 hours on the days clocks
/// change. Hours are UTC hours: in a zone whose offset is not whole hours
/// (Asia/Kolkata, UTC+05:30) a day takes the hour its midnight falls in.
pub fn by_day(hours: &[UsageRow], zone: &Zone) -> Vec<UsageRow> {
    let mut days: Vec<UsageRow> = Vec::new();
    for h in hours {
        // The day whose hours [day_start(d), day_start(d + 1)) hold it.
        let local = zone.date_of(h.start);
        let day = match local.next_day() {
            Some(next) if h.start >= day_start(zone, next) => next,
            _ => local,
        };
        let start = zone.start_of(day);
        match days.last_mut() {
            Some(d) if d.start == start => {
                d.peak_people = d.peak_people.max(h.peak_people);
                d.refused += h.refused;
                d.seats = h.seats;
            }
            _ => days.push(UsageRow { start, ..*h }),
        }
    }
    days
}

/// The start of `day` in `zone`, down to the UTC hour it falls in (the
/// rows' grain).
pub fn day_start(zone: &Zone, day: time::Date) -> OffsetDateTime {
    UsageBucket::Hour.start_of(zone.start_of(day))
}

/// The window of `period` ending with the bucket that holds `now`: hours as
/// they are, days of `zone`'s calendar (the last 30 days are today and the
/// 29 before it there).
pub fn window(
    period: UsagePeriod,
    now: OffsetDateTime,
    zone: &Zone,
) -> (OffsetDateTime, OffsetDateTime) {
    match period.bucket() {
        UsageBucket::Hour => period.window(now),
        UsageBucket::Day => {
            let today = zone.date_of(now);
            let days = match period {
                UsagePeriod::Year => 365,
                _ => 30,
            };
            (
                day_start(zone, today - Duration::days(days - 1)),
                day_start(zone, today + Duration::DAY),
            )
        }
    }
}

fn hours_between(from: OffsetDateTime, to: OffsetDateTime) -> usize {
    usize::try_from((to - from).whole_hours()).unwrap_or(0)
}

/// The tenant's session spans overlapping `[from, to)`, as known at `now`
/// ([`db::usage::spans`]).
pub async fn load_spans(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Vec<Span>> {
    Ok(db::usage::spans(conn, tenant_id, from, to, now)
        .await?
        .into_iter()
        .map(|r| Span {
            person: r.account_id,
            start: r.started_at,
            end: r.ended_at,
        })
        .collect())
}

/// The tenant's seat count as created and after each change, for
/// [`seats_at`].
pub async fn load_seat_changes(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> Result<Vec<(OffsetDateTime, u32)>> {
    Ok(db::usage::seat_changes(conn, tenant_id)
        .await?
        .into_iter()
        .map(|r| (r.at, u32::try_from(r.seats).unwrap_or(0)))
        .collect())
}

/// Computes the rows of the hours `[from, to)` from sessions and the audit
/// trail, as known at `now`.
async fn compute_hours(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Vec<UsageRow>> {
    let hours = hours_between(from, to);
    if hours == 0 {
        return Ok(Vec::new());
    }
    let spans = load_spans(conn, tenant_id, from, to, now).await?;
    let peaks = hourly_peaks(&spans, from, hours);
    let refused: HashMap<OffsetDateTime, u32> = db::usage::refusals(conn, tenant_id, from, to)
        .await?
        .into_iter()
        .map(|r| (r.hour, u32::try_from(r.refused).unwrap_or(u32::MAX)))
        .collect();
    let changes = load_seat_changes(conn, tenant_id).await?;
    Ok(peaks
        .into_iter()
        .enumerate()
        .map(|(i, peak_people)| {
            let start = from + Duration::hours(i as i64);
            let end = (start + Duration::HOUR).min(now);
            UsageRow {
                start,
                peak_people,
                seats: seats_at(&changes, end - Duration::nanoseconds(1)),
                refused: refused.get(&start).copied().unwrap_or(0),
            }
        })
        .collect())
}

impl Services {
    /// The usage history of the caller's organisation for `period`.
    pub async fn usage_report(
        &self,
        admin: &AdminCaller,
        period: UsagePeriod,
    ) -> Result<UsageReport> {
        let now = self.now();
        let (from, to) = window(period, now, &admin.zone);
        let rows = self
            .usage(
                admin.scope(),
                admin.tenant_id.as_uuid(),
                period.bucket(),
                (from, to),
                &admin.zone,
            )
            .await?;
        Ok(UsageReport {
            period,
            bucket: period.bucket(),
            rows,
        })
    }

    /// `server usage`: the history of tenant `slug` by `bucket` for the
    /// whole days `from` to `to` of the tenant's calendar (both included; by
    /// default the last 30 days by day, or today by hour), and the tenant's
    /// zone to print them in. Errors: `422 validation` naming `from`/`to`
    /// for an unreadable date or `to` before `from`; `404` for no tenant.
    pub async fn operator_usage(
        &self,
        slug: &str,
        bucket: UsageBucket,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(Vec<UsageRow>, Zone)> {
        let tenant = self.find_tenant(slug).await?;
        let zone = Zone::stored(&tenant.time_zone);
        let date = |field: &str, text: Option<&str>| -> Result<Option<time::Date>> {
            text.map(|t| {
                app::model::values::parse_date(t)
                    .map_err(|m| Error::Api(ApiError::validation(field, m)))
            })
            .transpose()
        };
        let today = zone.date_of(self.now());
        let to_day = date("to", to)?.unwrap_or(today);
        let from_day = date("from", from)?.unwrap_or(match bucket {
            UsageBucket::Hour => to_day,
            UsageBucket::Day => to_day - Duration::days(29),
        });
        if to_day < from_day {
            return Err(ApiError::validation(
                "to",
                "The end date (--to) is before the start date (--from).",
            )
            .into());
        }
        let start = day_start(&zone, from_day);
        let end = day_start(&zone, to_day + Duration::DAY);
        let rows = self
            .usage(
                Scope::Tenant(tenant.id),
                tenant.id,
                bucket,
                (start, end),
                &zone,
            )
            .await?;
        Ok((rows, zone))
    }

    /// Rows of `bucket` covering `[from, to)` (on UTC hours), up to the
    /// current one; days are `zone`'s ([`by_day`]). Rolls up, once, every
    /// final hour since the last rolled-up one; the rest is computed afresh.
    pub async fn usage(
        &self,
        scope: Scope<'_>,
        tenant_id: Uuid,
        bucket: UsageBucket,
        (from, to): (OffsetDateTime, OffsetDateTime),
        zone: &Zone,
    ) -> Result<Vec<UsageRow>> {
        let now = self.now();
        let to = to.min(UsageBucket::Hour.start_of(now) + Duration::HOUR);
        if to <= from {
            return Ok(Vec::new());
        }
        let final_end = UsageBucket::Hour.start_of(now - FINAL_AFTER);
        let mut tx = db::begin(&self.pool, scope).await?;
        let created = db::usage::tenant_created(&mut tx, tenant_id)
            .await?
            .ok_or_else(|| Error::Api(ApiError::not_found("organisation")))?;
        let first_hour = UsageBucket::Hour.start_of(created);
        let rolled = db::usage::last_rolled_hour(&mut tx, tenant_id).await?;
        let roll_from = rolled.map_or(first_hour, |h| h + Duration::HOUR);
        if roll_from < final_end {
            let rows = compute_hours(&mut tx, tenant_id, roll_from, final_end, now).await?;
            db::usage::store_hours(&mut tx, tenant_id, &rows).await?;
        }
        let live_from = from.max(final_end);
        let mut hours =
            db::usage::stored_hours(&mut tx, tenant_id, from, live_from.min(to)).await?;
        hours.extend(compute_hours(&mut tx, tenant_id, live_from.max(from), to, now).await?);
        tx.commit().await?;
        // Before the organisation existed: nothing to show.
        hours.retain(|h| h.start >= first_hour);
        Ok(match bucket {
            UsageBucket::Hour => hours,
            UsageBucket::Day => by_day(&hours, zone),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-29 00:00 UTC);

    fn span(person: u128, from_min: i64, to_min: i64) -> Span {
        Span {
            person: Uuid::from_u128(person),
            start: T0 + Duration::minutes(from_min),
            end: T0 + Duration::minutes(to_min),
        }
    }

    #[test]
    fn a_person_on_two_devices_counts_once() {
        let spans = [span(1, 10, 50), span(1, 20, 90), span(2, 30, 40)];
        assert_eq!(hourly_peaks(&spans, T0, 3), [2, 1, 0]);
    }

    #[test]
    fn a_span_ending_as_another_begins_is_not_counted_twice() {
        let spans = [span(1, 0, 30), span(2, 30, 60)];
        assert_eq!(hourly_peaks(&spans, T0, 2), [1, 0]);
        // A span ending exactly on the hour is not in the next hour.
        let spans = [span(1, 0, 60)];
        assert_eq!(hourly_peaks(&spans, T0, 2), [1, 0]);
    }

    #[test]
    fn spans_before_the_window_carry_in() {
        let spans = [span(1, -300, 130)];
        assert_eq!(hourly_peaks(&spans, T0, 4), [1, 1, 1, 0]);
    }

    #[test]
    fn seats_follow_the_latest_change() {
        let changes = [(T0, 5), (T0 + Duration::hours(2), 8)];
        assert_eq!(seats_at(&changes, T0 - Duration::hours(1)), 5);
        assert_eq!(seats_at(&changes, T0 + Duration::minutes(119)), 5);
        assert_eq!(seats_at(&changes, T0 + Duration::hours(2)), 8);
        assert_eq!(seats_at(&[], T0), 0);
    }

    #[test]
    fn days_take_their_highest_hour_and_sum_refusals() {
        let row = |h: i64, peak, refused, seats| UsageRow {
            start: T0 + Duration::hours(h),
            peak_people: peak,
            seats,
            refused,
        };
        let days = by_day(
            &[row(22, 3, 1, 5), row(23, 4, 0, 5), row(24, 1, 2, 6)],
            &Zone::utc(),
        );
        assert_eq!(
            days,
            [
                UsageRow {
                    start: T0,
                    peak_people: 4,
                    seats: 5,
                    refused: 1
                },
                UsageRow {
                    start: T0 + Duration::DAY,
                    peak_people: 1,
                    seats: 6,
                    refused: 2
                },
            ]
        );
    }

    #[test]
    fn in_a_half_hour_zone_a_day_takes_the_hour_its_midnight_falls_in() {
        // Kolkata is UTC+05:30: 8 December begins at 7 December 18:30 UTC.
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        let row = |start, peak| UsageRow {
            start,
            peak_people: peak,
            seats: 5,
            refused: 0,
        };
        let hours = [
            row(datetime!(2026-12-07 17:00 UTC), 1), // 22:30 on the 7th
            row(datetime!(2026-12-07 18:00 UTC), 2), // 23:30 on the 7th, holds midnight
            row(datetime!(2026-12-07 19:00 UTC), 3), // 00:30 on the 8th
        ];
        let days = by_day(&hours, &kolkata);
        assert_eq!(
            days.iter()
                .map(|d| (d.start, d.peak_people))
                .collect::<Vec<_>>(),
            [
                (datetime!(2026-12-06 18:30 UTC), 1),
                (datetime!(2026-12-07 18:30 UTC), 3),
            ],
            "each row starts at its local midnight"
        );
        assert_eq!(
            kolkata.date_of(days[1].start),
            time::macros::date!(2026 - 12 - 08)
        );
    }

    #[test]
    fn days_are_cut_at_the_organisations_midnight() {
        let row = |start, peak| UsageRow {
            start,
            peak_people: peak,
            seats: 5,
            refused: 1,
        };
        let toronto = Zone::parse("America/Toronto").unwrap();
        // 23:00 and 00:00 in Toronto (EST): two different days.
        let hours = [
            row(datetime!(2026-12-07 04:00 UTC), 2),
            row(datetime!(2026-12-07 05:00 UTC), 3),
            row(datetime!(2026-12-08 04:00 UTC), 4),
        ];
        let days = by_day(&hours, &toronto);
        assert_eq!(
            days.iter()
                .map(|d| (d.start, d.peak_people, d.refused))
                .collect::<Vec<_>>(),
            [
                (datetime!(2026-12-06 05:00 UTC), 2, 1),
                (datetime!(2026-12-07 05:00 UTC), 4, 2),
            ]
        );
        // The last 30 days end with today there, at its local midnight.
        let (from, to) = window(
            UsagePeriod::Month,
            datetime!(2026-12-08 03:00 UTC),
            &toronto,
        );
        assert_eq!(to, datetime!(2026-12-08 05:00 UTC));
        assert_eq!(from, datetime!(2026-11-08 05:00 UTC));
        // Auckland's fall-back day (5 April 2026) has 25 hours.
        let auckland = Zone::parse("Pacific/Auckland").unwrap();
        assert_eq!(
            day_start(&auckland, time::macros::date!(2026 - 04 - 06))
                - day_start(&auckland, time::macros::date!(2026 - 04 - 05)),
            Duration::hours(25)
        );
    }

    proptest! {
        /// The sweep agrees with counting people minute by minute.
        #[test]
        fn peaks_equal_a_minute_by_minute_count(
            raw in prop::collection::vec((0u128..6, -90i64..300, 0i64..200), 0..25)
        ) {
            let spans: Vec<Span> = raw.iter().map(|&(p, s, len)| span(p, s, s + len)).collect();
            let peaks = hourly_peaks(&spans, T0, 4);
            for (h, peak) in peaks.iter().enumerate() {
                let mut best = 0;
                for m in (h as i64 * 60)..(h as i64 * 60 + 60) {
                    let t = T0 + Duration::minutes(m);
                    let mut people: Vec<Uuid> = spans
                        .iter()
                        .filter(|s| s.start <= t && t < s.end)
                        .map(|s| s.person)
                        .collect();
                    people.sort();
                    people.dedup();
                    best = best.max(people.len() as u32);
                }
                prop_assert_eq!(*peak, best, "hour {}", h);
            }
        }
    }
}
