//! Times on screen, in the organisation's time zone (#27).
//!
//! The browser already carries the IANA time zone database (`Intl`), so the
//! app asks it instead of shipping one: `Intl.DateTimeFormat` with the
//! organisation's `timeZone` splits an instant into its local date, time and
//! zone abbreviation. The zone comes from the session ([`SessionInfo`]'s
//! `time_zone`); reading it tracks the session, so a changed zone redraws
//! what shows times.
//!
//! [`SessionInfo`]: crate::model::SessionInfo

use crate::auth::Auth;
use leptos::prelude::*;
use time::OffsetDateTime;

/// An instant in a zone: its local calendar fields and the zone's
/// abbreviation then (`EST`, `GMT+13`, `UTC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Seconds east of UTC.
    pub offset_seconds: i32,
    pub abbreviation: String,
}

impl Local {
    /// `2026-12-07`
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// RFC 3339 with the zone's offset: `2026-12-07T14:05:09-05:00`, `Z` in
    /// UTC (the CSV files' times, as the server writes them).
    pub fn rfc3339(&self) -> String {
        let stamp = format!(
            "{}T{:02}:{:02}:{:02}",
            self.date(),
            self.hour,
            self.minute,
            self.second
        );
        let offset = self.offset_seconds;
        if offset == 0 {
            return format!("{stamp}Z");
        }
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        format!("{stamp}{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }

    /// `2026-12-07 14:05 EST`
    pub fn minute(&self) -> String {
        format!(
            "{} {:02}:{:02} {}",
            self.date(),
            self.hour,
            self.minute,
            self.abbreviation
        )
    }
}

/// The organisation's zone, as the session says (`UTC` before sign-in).
/// Tracked: a view that reads it redraws when the zone changes.
pub fn organisation_zone() -> String {
    Auth::get()
        .session
        .with(|s| s.as_ref().map(|s| s.time_zone.clone()))
        .unwrap_or_else(|| "UTC".to_owned())
}

/// `t` in the organisation's zone, e.g. `2026-12-07 14:05 EST`.
pub fn format_time(t: OffsetDateTime) -> String {
    local(t, &organisation_zone()).minute()
}

/// The local calendar date of `t` in the organisation's zone, `2026-12-07`.
pub fn format_day(t: OffsetDateTime) -> String {
    local(t, &organisation_zone()).date()
}

/// The global `Intl` object's member `name` (a constructor or function).
#[cfg(target_arch = "wasm32")]
fn intl(name: &str) -> Option<js_sys::Function> {
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let f = js_sys::Reflect::get(&intl, &name.into()).ok()?;
    wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok()
}

/// `new Intl.DateTimeFormat(locales, options)`, `None` where it throws (a
/// zone this browser does not know).
#[cfg(target_arch = "wasm32")]
fn date_time_format(locales: &js_sys::Array, options: &js_sys::Object) -> Option<js_sys::Object> {
    let args = js_sys::Array::of2(locales, options);
    js_sys::Reflect::construct(&intl("DateTimeFormat")?, &args)
        .ok()
        .map(wasm_bindgen::JsCast::unchecked_into)
}

/// The zone the browser itself is set to, when it can tell.
#[cfg(target_arch = "wasm32")]
pub fn browser_zone() -> Option<String> {
    let format = date_time_format(&js_sys::Array::new(), &js_sys::Object::new())?;
    let resolved = js_sys::Reflect::get(&format, &"resolvedOptions".into()).ok()?;
    let resolved = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(resolved).ok()?;
    let options = resolved.call0(&format).ok()?;
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn browser_zone() -> Option<String> {
    None
}

/// The IANA zones the browser knows, for the Settings page's list (empty
/// when it cannot say; the field then takes a typed name).
#[cfg(target_arch = "wasm32")]
pub fn known_zones() -> Vec<String> {
    intl("supportedValuesOf")
        .and_then(|f| {
            f.call1(&wasm_bindgen::JsValue::NULL, &"timeZone".into())
                .ok()
        })
        .map(|list| {
            js_sys::Array::from(&list)
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn known_zones() -> Vec<String> {
    Vec::new()
}

/// `t` in `zone`. In the browser, `Intl` (one formatter per zone, kept);
/// elsewhere (the app's unit tests) the zone is taken as UTC.
#[cfg(target_arch = "wasm32")]
pub fn local(t: OffsetDateTime, zone: &str) -> Local {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use wasm_bindgen::JsValue;
    thread_local! {
        static FORMATS: RefCell<HashMap<String, Option<js_sys::Object>>> =
            RefCell::new(HashMap::new());
    }
    let format = FORMATS.with(|f| {
        f.borrow_mut()
            .entry(zone.to_owned())
            .or_insert_with(|| {
                let options = js_sys::Object::new();
                for (k, v) in [
                    ("timeZone", zone),
                    ("year", "numeric"),
                    ("month", "numeric"),
                    ("day", "numeric"),
                    ("hour", "numeric"),
                    ("minute", "numeric"),
                    ("hourCycle", "h23"),
                    ("timeZoneName", "short"),
                ] {
                    let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
                }
                let locales = js_sys::Array::of1(&JsValue::from_str("en-US"));
                date_time_format(&locales, &options)
            })
            .clone()
    });
    let mut out = utc(t);
    // A zone this browser does not know: the UTC reading stands.
    let Some(format) = format else {
        return out;
    };
    let millis = (t.unix_timestamp_nanos() / 1_000_000) as f64;
    let date = js_sys::Date::new(&JsValue::from_f64(millis));
    let parts = match js_sys::Reflect::get(&format, &"formatToParts".into())
        .ok()
        .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok())
        .and_then(|f| f.call1(&format, &date).ok())
    {
        Some(p) => js_sys::Array::from(&p),
        None => return out,
    };
    for part in parts.iter() {
        let field = |k: &str| {
            js_sys::Reflect::get(&part, &k.into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let value = field("value");
        let number = || value.parse::<i64>().unwrap_or(0);
        match field("type").as_str() {
            "year" => out.year = number() as i32,
            "month" => out.month = number() as u8,
            "day" => out.day = number() as u8,
            // Some engines say 24 for midnight even with h23.
            "hour" => out.hour = (number() % 24) as u8,
            "minute" => out.minute = number() as u8,
            "timeZoneName" => out.abbreviation = value,
            _ => {}
        }
    }
    // The offset is what separates the local reading from UTC's.
    let as_utc = time::Month::try_from(out.month)
        .and_then(|m| time::Date::from_calendar_date(out.year, m, out.day))
        .and_then(|d| d.with_hms(out.hour, out.minute, t.second()))
        .map(|d| d.assume_utc());
    match as_utc {
        Ok(l) => {
            out.offset_seconds = (l - t.replace_nanosecond(0).unwrap_or(t)).whole_seconds() as i32
        }
        Err(_) => return utc(t),
    }
    out
}

#[cfg(not(target_arch = "wasm32"))]
pub fn local(t: OffsetDateTime, _zone: &str) -> Local {
    utc(t)
}

fn utc(t: OffsetDateTime) -> Local {
    let t = t.to_offset(time::UtcOffset::UTC);
    Local {
        year: t.year(),
        month: u8::from(t.month()),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        offset_seconds: 0,
        abbreviation: "UTC".to_owned(),
    }
}

/// "Times are in America/Toronto." and, when the browser is elsewhere, "Your
/// browser is set to Europe/Paris." A hint, never used for the times.
#[component]
pub fn ZoneNote() -> impl IntoView {
    let browser = browser_zone();
    move || {
        let zone = organisation_zone();
        let differs = browser
            .as_ref()
            .filter(|b| **b != zone)
            .map(|b| format!(" Your browser is set to {b}."));
        view! {
            <p class="hint zone-note">
                {format!("Times are in the organisation's time zone, {zone}.")}
                {differs}
            </p>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn outside_the_browser_times_read_as_utc() {
        let l = local(datetime!(2026-12-07 19:05:09 UTC), "America/Toronto");
        assert_eq!(l.minute(), "2026-12-07 19:05 UTC");
        assert_eq!(l.date(), "2026-12-07");
        assert_eq!(l.rfc3339(), "2026-12-07T19:05:09Z");
    }

    #[test]
    fn rfc3339_carries_the_offset() {
        let l = Local {
            year: 2026,
            month: 12,
            day: 8,
            hour: 0,
            minute: 35,
            second: 9,
            offset_seconds: 5 * 3600 + 1800,
            abbreviation: "GMT+5:30".into(),
        };
        assert_eq!(l.rfc3339(), "2026-12-08T00:35:09+05:30");
        let toronto = Local {
            day: 7,
            hour: 14,
            minute: 5,
            offset_seconds: -5 * 3600,
            ..l
        };
        assert_eq!(toronto.rfc3339(), "2026-12-07T14:05:09-05:00");
    }
}
