//! Seat usage history (issue #15): the most people signed in at once per
//! hour or day, against the seats owned, with the sign-ins refused for lack
//! of a seat. Times are instants (RFC 3339); days are the organisation's
//! (its time zone), cut by the server.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The periods the License page offers, each with its bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum UsagePeriod {
    /// The last 24 hours, by hour.
    #[default]
    #[serde(rename = "24h")]
    Day,
    /// The last 7 days, by hour.
    #[serde(rename = "7d")]
    Week,
    /// The last 30 days, by day.
    #[serde(rename = "30d")]
    Month,
    /// The last 12 months (365 days), by day.
    #[serde(rename = "12m")]
    Year,
}

impl UsagePeriod {
    pub const ALL: [UsagePeriod; 4] = [
        UsagePeriod::Day,
        UsagePeriod::Week,
        UsagePeriod::Month,
        UsagePeriod::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsagePeriod::Day => "24h",
            UsagePeriod::Week => "7d",
            UsagePeriod::Month => "30d",
            UsagePeriod::Year => "12m",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            UsagePeriod::Day => "Last 24 hours",
            UsagePeriod::Week => "Last 7 days",
            UsagePeriod::Month => "Last 30 days",
            UsagePeriod::Year => "Last 12 months",
        }
    }

    pub fn bucket(self) -> UsageBucket {
        match self {
            UsagePeriod::Day | UsagePeriod::Week => UsageBucket::Hour,
            UsagePeriod::Month | UsagePeriod::Year => UsageBucket::Day,
        }
    }

    /// The period's buckets ending with the one that holds `now`: `[from,
    /// to)`, both on bucket boundaries.
    pub fn window(self, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
        let bucket = self.bucket();
        let to = bucket.start_of(now) + bucket.length();
        let count = match self {
            UsagePeriod::Day => 24,
            UsagePeriod::Week => 7 * 24,
            UsagePeriod::Month => 30,
            UsagePeriod::Year => 365,
        };
        (to - bucket.length() * count, to)
    }
}

/// How long one row of the history covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageBucket {
    Hour,
    Day,
}

impl UsageBucket {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageBucket::Hour => "hour",
            UsageBucket::Day => "day",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [UsageBucket::Hour, UsageBucket::Day]
            .into_iter()
            .find(|b| b.as_str() == s)
    }

    pub fn length(self) -> Duration {
        match self {
            UsageBucket::Hour => Duration::HOUR,
            UsageBucket::Day => Duration::DAY,
        }
    }

    /// The start of the UTC hour or UTC day that holds `t` (hours are the
    /// server's grain; days in the organisation's zone are the server's).
    pub fn start_of(self, t: OffsetDateTime) -> OffsetDateTime {
        let t = t.to_offset(time::UtcOffset::UTC);
        let day = t.replace_time(time::Time::MIDNIGHT);
        match self {
            UsageBucket::Day => day,
            UsageBucket::Hour => day + Duration::hours(i64::from(t.hour())),
        }
    }
}

/// One hour or day of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    /// Start of the hour, or of the day at its local midnight in the
    /// organisation's time zone.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// The most people signed in at the same moment (a person on several
    /// devices counts once).
    pub peak_people: u32,
    /// Seats owned at the end of the hour or day (or now, for the current one).
    pub seats: u32,
    /// Sign-ins refused for lack of a seat.
    pub refused: u32,
}

/// `POST /api/license/usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    pub period: UsagePeriod,
    pub bucket: UsageBucket,
    /// Oldest first; the last row is the current hour or day, so far.
    pub rows: Vec<UsageRow>,
}

impl UsageReport {
    pub fn total_refused(&self) -> u32 {
        self.rows.iter().map(|r| r.refused).sum()
    }

    pub fn highest_peak(&self) -> u32 {
        self.rows.iter().map(|r| r.peak_people).max().unwrap_or(0)
    }
}

/// The history as CSV (RFC 4180, header row): what the License page exports
/// and `server usage` prints. `stamp` writes each time (RFC 3339 in the
/// organisation's zone, #27); a row ends where the next begins.
pub fn usage_csv(
    bucket: UsageBucket,
    rows: &[UsageRow],
    stamp: &dyn Fn(OffsetDateTime) -> String,
) -> String {
    let mut out = String::from("start,end,peak_people,seats,refused\r\n");
    for (i, r) in rows.iter().enumerate() {
        let end = rows
            .get(i + 1)
            .map_or(r.start + bucket.length(), |next| next.start);
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            stamp(r.start),
            stamp(end),
            r.peak_people,
            r.seats,
            r.refused
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn windows_end_with_the_current_bucket() {
        let now = datetime!(2026-11-29 09:12:30 UTC);
        assert_eq!(
            UsagePeriod::Day.window(now),
            (
                datetime!(2026-11-28 10:00 UTC),
                datetime!(2026-11-29 10:00 UTC)
            )
        );
        assert_eq!(
            UsagePeriod::Month.window(now),
            (
                datetime!(2026-10-31 00:00 UTC),
                datetime!(2026-11-30 00:00 UTC)
            )
        );
        let (from, to) = UsagePeriod::Year.window(now);
        assert_eq!((to - from).whole_days(), 365);
        let (from, to) = UsagePeriod::Week.window(now);
        assert_eq!((to - from).whole_hours(), 168);
    }

    #[test]
    fn buckets_start_in_utc() {
        let t = datetime!(2026-11-29 01:30 +05:00);
        assert_eq!(
            UsageBucket::Hour.start_of(t),
            datetime!(2026-11-28 20:00 UTC)
        );
        assert_eq!(
            UsageBucket::Day.start_of(t),
            datetime!(2026-11-28 00:00 UTC)
        );
    }

    #[test]
    fn csv_has_a_header_and_one_line_per_row() {
        let rows = [UsageRow {
            start: datetime!(2026-11-29 00:00 UTC),
            peak_people: 7,
            seats: 10,
            refused: 2,
        }];
        let utc = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        assert_eq!(
            usage_csv(UsageBucket::Day, &rows, &utc),
            "start,end,peak_people,seats,refused\r\n2026-11-29T00:00:00Z,2026-11-30T00:00:00Z,7,10,2\r\n"
        );
    }

    #[test]
    fn a_day_ends_where_the_next_begins() {
        // Toronto's fall-back day (1 November 2026) has 25 hours.
        let row = |start, peak_people| UsageRow {
            start,
            peak_people,
            seats: 10,
            refused: 0,
        };
        let rows = [
            row(datetime!(2026-11-01 04:00 UTC), 3),
            row(datetime!(2026-11-02 05:00 UTC), 4),
        ];
        let toronto = |t: OffsetDateTime| {
            let offset = if t < datetime!(2026-11-01 06:00 UTC) {
                -4
            } else {
                -5
            };
            t.to_offset(time::UtcOffset::from_hms(offset, 0, 0).unwrap())
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let csv = usage_csv(UsageBucket::Day, &rows, &toronto);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[1],
            "2026-11-01T00:00:00-04:00,2026-11-02T00:00:00-05:00,3,10,0"
        );
        assert_eq!(
            lines[2],
            "2026-11-02T00:00:00-05:00,2026-11-03T00:00:00-05:00,4,10,0"
        );
    }

    #[test]
    fn periods_round_trip() {
        for p in UsagePeriod::ALL {
            assert_eq!(UsagePeriod::parse(p.as_str()), Some(p));
            let json = serde_json::to_value(p).unwrap();
            assert_eq!(json, p.as_str());
        }
    }
}
