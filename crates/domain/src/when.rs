//! Instants as the person reading a page reads them: in their own zone (a clinician's profile zone, else the
//! practice's), always with the zone's abbreviation, so that "01:17" can never be UTC to one reader and Chicago to
//! another. Stored times stay UTC instants; only pages and e-mails turn them into wall-clock time.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The viewer's zone. Falls back to UTC only for a name that does not parse (stored names are validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub fn named(name: &str) -> Zone {
        Zone(name.parse().unwrap_or(chrono_tz::UTC))
    }

    /// The IANA name, e.g. "America/Chicago".
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// "Chicago", "Ho Chi Minh", "UTC": the zone as a page names it ("times in Chicago").
    pub fn place(&self) -> String {
        let name = self.0.name();
        name.rsplit('/').next().unwrap_or(name).replace('_', " ")
    }

    /// "7 Dec 2026, 08:47 CST".
    pub fn stamp(&self, at: impl Instant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%-d %b %Y, %H:%M %Z")
            .to_string()
    }

    /// "08:47 CST": a time on a page that already says which day.
    pub fn time(&self, at: impl Instant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%H:%M %Z")
            .to_string()
    }

    /// "08:47:03": seconds, for logs read line by line under a heading that names the zone.
    pub fn seconds(&self, at: impl Instant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%H:%M:%S")
            .to_string()
    }

    /// "2026-12-07 08:47:03 CST": the audit log's precision.
    pub fn precise(&self, at: impl Instant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }

    /// The viewer's calendar date of an instant (a form's default "today" is the viewer's today, not UTC's).
    pub fn date(&self, at: impl Instant) -> NaiveDate {
        at.instant().with_timezone(&self.0).date_naive()
    }

    /// "7 Dec 2026": the viewer's calendar day of an instant.
    pub fn day(&self, at: impl Instant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%-d %b %Y")
            .to_string()
    }
}

/// An instant however a template holds it: by value or behind references (askama's `if let` binds by reference).
pub trait Instant {
    fn instant(&self) -> DateTime<Utc>;
}

impl Instant for DateTime<Utc> {
    fn instant(&self) -> DateTime<Utc> {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> DateTime<Utc> {
        (**self).instant()
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone(chrono_tz::UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_instant_reads_in_the_viewers_zone_with_its_abbreviation() {
        let at = Utc.with_ymd_and_hms(2026, 12, 8, 7, 17, 5).unwrap();
        let chicago = Zone::named("America/Chicago");
        assert_eq!(chicago.stamp(at), "8 Dec 2026, 01:17 CST");
        assert_eq!(chicago.time(at), "01:17 CST");
        assert_eq!(chicago.precise(at), "2026-12-08 01:17:05 CST");
        assert_eq!(chicago.day(at), "8 Dec 2026");
        assert_eq!(Zone::named("UTC").stamp(at), "8 Dec 2026, 07:17 UTC");
    }

    #[test]
    fn the_day_is_the_viewers_day_and_summer_time_is_named() {
        // 03:30 UTC on 1 July is still 30 June in Chicago, in daylight time.
        let at = Utc.with_ymd_and_hms(2026, 7, 1, 3, 30, 0).unwrap();
        let chicago = Zone::named("America/Chicago");
        assert_eq!(chicago.day(at), "30 Jun 2026");
        assert_eq!(chicago.date(at).to_string(), "2026-06-30");
        assert_eq!(chicago.time(at), "22:30 CDT");
        assert_eq!(Zone::named("Europe/Berlin").time(at), "05:30 CEST");
    }

    #[test]
    fn an_unknown_name_reads_as_utc() {
        assert_eq!(Zone::named("Mars/Olympus"), Zone::default());
        assert_eq!(Zone::named("Mars/Olympus").name(), "UTC");
        assert_eq!(Zone::named("Asia/Ho_Chi_Minh").place(), "Ho Chi Minh");
        assert_eq!(Zone::default().place(), "UTC");
    }
}
