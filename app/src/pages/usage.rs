//! The License page's usage history (issue #15): a chart drawn here as SVG
//! (bars for the most people signed in at once, a line for the seats owned,
//! marks for refused sign-ins), the same numbers as a table, and a CSV
//! export. Times are in the organisation's time zone (#27).

use crate::api::license::get_usage;
use crate::auth::Auth;
use crate::components::{
    download_csv, local, organisation_zone, DataTable, ErrorState, Loading, Local,
};
use crate::model::usage::{usage_csv, UsageBucket, UsagePeriod, UsageReport, UsageRow};
use leptos::prelude::*;
use time::OffsetDateTime;

/// The drawing area, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// What the chart draws, computed from the rows (no browser needed).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// One bar per row: x, y, width, height.
    pub bars: Vec<(f64, f64, f64, f64)>,
    /// The seats owned, as an SVG path (a step line).
    pub seats_path: String,
    /// Rows with refused sign-ins: the mark's x and y, and the count.
    pub refused: Vec<(f64, f64, u32)>,
    /// Y axis ticks: y and the number.
    pub y_ticks: Vec<(f64, u32)>,
    /// X axis labels: x and the text.
    pub x_ticks: Vec<(f64, String)>,
}

/// A round step for about four ticks up to `max`.
fn tick_step(max: u32) -> u32 {
    let rough = (max.max(1) as f64 / 4.0).ceil() as u32;
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= rough {
                return step * m;
            }
        }
        step *= 10;
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn label(bucket: UsageBucket, period: UsagePeriod, t: &Local) -> String {
    match (bucket, period) {
        (UsageBucket::Hour, UsagePeriod::Day) => format!("{:02}:{:02}", t.hour, t.minute),
        _ => format!(
            "{} {}",
            t.day,
            MONTHS[usize::from(t.month.clamp(1, 12)) - 1]
        ),
    }
}

/// The chart of `report`, its labels in `zone`.
pub fn chart(report: &UsageReport, zone: &str) -> Chart {
    let rows = &report.rows;
    let locals: Vec<Local> = rows.iter().map(|r| local(r.start, zone)).collect();
    let n = rows.len().max(1) as f64;
    let top_value = rows
        .iter()
        .map(|r| r.peak_people.max(r.seats))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = tick_step(top_value);
    let y_max = top_value.div_ceil(step) * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| LEFT + plot_w * i as f64 / n;
    let y = |v: u32| TOP + plot_h * (1.0 - f64::from(v) / f64::from(y_max));
    let slot = plot_w / n;
    let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let top = y(r.peak_people);
            (x(i) + gap / 2.0, top, slot - gap, TOP + plot_h - top)
        })
        .collect();
    let mut seats_path = String::new();
    for (i, r) in rows.iter().enumerate() {
        let (x0, x1, yv) = (x(i), x(i + 1), y(r.seats));
        if i == 0 {
            seats_path.push_str(&format!("M{x0:.1},{yv:.1}"));
        } else {
            seats_path.push_str(&format!(" V{yv:.1}"));
        }
        seats_path.push_str(&format!(" H{x1:.1}"));
    }
    let refused = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.refused > 0)
        .map(|(i, r)| (x(i) + slot / 2.0, TOP + 6.0, r.refused))
        .collect();
    let y_ticks = (0..=y_max / step)
        .map(|k| (y(k * step), k * step))
        .collect();
    // Labels on round times: every 4 hours for a day, at midnight for a
    // week, about six for the days of a month or a year.
    let every_day = (rows.len() / 6).max(1);
    let labelled = |i: usize, l: &Local| match report.period {
        UsagePeriod::Day => l.hour.is_multiple_of(4),
        UsagePeriod::Week => l.hour == 0,
        UsagePeriod::Month | UsagePeriod::Year => i.is_multiple_of(every_day),
    };
    let x_ticks = locals
        .iter()
        .enumerate()
        .filter(|(i, l)| labelled(*i, l))
        .map(|(i, l)| (x(i) + slot / 2.0, label(report.bucket, report.period, l)))
        .collect();
    Chart {
        bars,
        seats_path,
        refused,
        y_ticks,
        x_ticks,
    }
}

/// A row's table label in `zone`: `2026-12-07 14:00–15:00 EST`, or the day.
fn when(bucket: UsageBucket, t: OffsetDateTime, zone: &str) -> String {
    let start = local(t, zone);
    match bucket {
        UsageBucket::Hour => {
            let end = local(t + bucket.length(), zone);
            format!(
                "{} {:02}:{:02}–{:02}:{:02} {}",
                start.date(),
                start.hour,
                start.minute,
                end.hour,
                end.minute,
                end.abbreviation
            )
        }
        UsageBucket::Day => start.date(),
    }
}

/// The sentence a screen reader hears for the chart.
pub fn summary(report: &UsageReport) -> String {
    let seats = report.rows.last().map_or(0, |r| r.seats);
    let refused = report.total_refused();
    format!(
        "{}: at most {} {} signed in at once, with {} seats owned now; {} sign-in{} refused for lack of a seat.",
        report.period.label(),
        report.highest_peak(),
        if report.highest_peak() == 1 { "person" } else { "people" },
        seats,
        refused,
        if refused == 1 { " was" } else { "s were" },
    )
}

#[component]
pub fn UsageHistory() -> impl IntoView {
    let auth = Auth::get();
    let period = RwSignal::new(UsagePeriod::Day);
    let report = LocalResource::new(move || get_usage(period.get()));
    view! {
        <section class="panel" aria-labelledby="usage-heading">
            <div class="section-head">
                <h2 id="usage-heading">"Usage history"</h2>
                {move || report.get().and_then(Result::ok).map(|r| {
                    let zone = organisation_zone();
                    let csv = usage_csv(r.bucket, &r.rows, &|t| local(t, &zone).rfc3339());
                    let name = format!("seat-usage-{}.csv", r.period.as_str());
                    view! {
                        <button type="button" class="secondary small"
                            on:click=move |_| download_csv(&name, &csv)>"Download CSV"</button>
                    }
                })}
            </div>
            <fieldset class="inline-form">
                <legend class="visually-hidden">"Period"</legend>
                {UsagePeriod::ALL.into_iter().map(|p| {
                    let id = format!("usage-{}", p.as_str());
                    let label_for = id.clone();
                    view! {
                        <label for=label_for class="choice">
                            <input type="radio" id=id name="usage-period"
                                checked=move || period.get() == p
                                on:change=move |_| period.set(p) />
                            {p.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <p class="hint">"The current hour or day so far is the last one shown."</p>
            {move || match report.get() {
                None => view! { <Loading what="the usage history" /> }.into_any(),
                Some(Err(e)) => {
                    let message = auth.message_for(&e);
                    view! { <ErrorState message=message retry=move || report.refetch() /> }.into_any()
                }
                Some(Ok(r)) => view! { <UsageView report=r /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn UsageView(report: UsageReport) -> impl IntoView {
    let zone = organisation_zone();
    let c = chart(&report, &zone);
    let said = summary(&report);
    let bucket = report.bucket;
    let headers: &'static [&'static str] = match bucket {
        UsageBucket::Hour => &[
            "Hour",
            "Most people signed in",
            "Seats owned",
            "Refused sign-ins",
        ],
        UsageBucket::Day => &[
            "Day",
            "Most people signed in",
            "Seats owned",
            "Refused sign-ins",
        ],
    };
    let caption = format!("{}, by {}", report.period.label(), bucket.as_str());
    let plot_bottom = HEIGHT - BOTTOM;
    let rows: Vec<UsageRow> = report.rows.clone();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby="usage-chart-title" aria-describedby="usage-chart-desc">
                <title id="usage-chart-title">"People signed in, seats owned and refused sign-ins"</title>
                <desc id="usage-chart-desc">{said.clone()}</desc>
                {c.y_ticks.iter().map(|(y, v)| view! {
                    <g class="tick">
                        <line x1=LEFT x2={WIDTH - RIGHT} y1=*y y2=*y />
                        <text x={LEFT - 6.0} y={y + 4.0} text-anchor="end">{*v}</text>
                    </g>
                }).collect_view()}
                {c.bars.iter().map(|(x, y, w, h)| view! {
                    <rect class="bar" x=*x y=*y width=*w height=*h />
                }).collect_view()}
                <path class="seats" d=c.seats_path.clone() />
                {c.refused.iter().map(|(x, y, n)| view! {
                    <g class="refused">
                        <path d=format!("M{:.1},{:.1} l5,-9 h-10 z", x, y + 4.0) />
                        <title>{format!("{n} refused")}</title>
                    </g>
                }).collect_view()}
                {c.x_ticks.iter().map(|(x, t)| view! {
                    <text class="x-label" x=*x y={plot_bottom + 16.0} text-anchor="middle">{t.clone()}</text>
                }).collect_view()}
                <text class="axis-title" x={LEFT + (WIDTH - LEFT - RIGHT) / 2.0} y={HEIGHT - 4.0} text-anchor="middle">{format!("Time ({zone})")}</text>
                <text class="axis-title" transform=format!("translate(12,{}) rotate(-90)", TOP + (HEIGHT - TOP - BOTTOM) / 2.0) text-anchor="middle">"People"</text>
            </svg>
            <figcaption>
                <ul class="legend">
                    <li><span class="swatch bar"></span>"Most people signed in at once"</li>
                    <li><span class="swatch seats"></span>"Seats owned"</li>
                    <li><span class="swatch refused"></span>"Sign-ins refused (no free seat)"</li>
                </ul>
                <p>{said}</p>
            </figcaption>
        </figure>
        <details class="usage-table">
            <summary>"The numbers as a table"</summary>
            <DataTable caption=caption headers=headers>
                {rows.into_iter().rev().map(|r| view! {
                    <tr>
                        <td>{when(bucket, r.start, &zone)}</td>
                        <td>{r.peak_people}</td>
                        <td>{r.seats}</td>
                        <td>{r.refused}</td>
                    </tr>
                }).collect_view()}
            </DataTable>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    fn report(rows: &[(u32, u32, u32)]) -> UsageReport {
        let t0 = datetime!(2026-11-29 00:00 UTC);
        UsageReport {
            period: UsagePeriod::Day,
            bucket: UsageBucket::Hour,
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, &(peak_people, seats, refused))| UsageRow {
                    start: t0 + Duration::hours(i as i64),
                    peak_people,
                    seats,
                    refused,
                })
                .collect(),
        }
    }

    #[test]
    fn bars_reach_their_value_and_the_seat_line_steps() {
        let c = chart(&report(&[(0, 4, 0), (4, 4, 2), (2, 8, 0)]), "UTC");
        // Ticks 0, 2, 4, 6, 8: the top of the axis is the highest seat count.
        assert_eq!(
            c.y_ticks.iter().map(|t| t.1).collect::<Vec<_>>(),
            [0, 2, 4, 6, 8]
        );
        let plot_h = HEIGHT - TOP - BOTTOM;
        let (_, y, _, h) = c.bars[1];
        assert!((h - plot_h / 2.0).abs() < 1e-9, "4 of 8 is half the height");
        assert!(
            (y + h - (HEIGHT - BOTTOM)).abs() < 1e-9,
            "bars stand on the axis"
        );
        assert_eq!(c.bars[0].3, 0.0);
        assert!(c.seats_path.starts_with("M44.0,"));
        assert_eq!(c.seats_path.matches(" V").count(), 2);
        assert_eq!(c.refused.len(), 1);
        assert_eq!(c.refused[0].2, 2);
        assert_eq!(c.x_ticks[0].1, "00:00");
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(8), 2);
        assert_eq!(tick_step(10), 5);
        assert_eq!(tick_step(50), 20);
        assert_eq!(tick_step(1000), 500);
    }

    #[test]
    fn the_summary_reads_well() {
        assert_eq!(
            summary(&report(&[(1, 5, 0), (3, 5, 1)])),
            "Last 24 hours: at most 3 people signed in at once, with 5 seats owned now; 1 sign-in was refused for lack of a seat."
        );
    }
}
