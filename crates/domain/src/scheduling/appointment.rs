//! Appointments as the domain sees them: kinds, the status lifecycle, modes, default appointment types, and the
//! late-cancellation rule.

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal, $label:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            pub fn parse(raw: &str) -> Result<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw.trim()).ok_or_else(|| {
                    Error::invalid($field, format!(
                        "'{}' is not one of: {}", raw.trim(),
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })
            }
        }
    };
}

vocabulary!(AppointmentKind, "kind" {
    Intake => "intake", "Intake";
    Individual => "individual", "Individual";
    Couple => "couple", "Couple";
    Family => "family", "Family";
    Group => "group", "Group";
    Crisis => "crisis", "Crisis";
    Consultation => "consultation", "Consultation";
});

vocabulary!(
    /// Where the session happens.
    Mode, "mode" {
    InPerson => "in_person", "In person";
    Telehealth => "telehealth", "Telehealth";
});

vocabulary!(
    /// (requested →) booked → confirmed → arrived → completed, or no-show, late cancellation, cancellation.
    Status, "status" {
    Requested => "requested", "Requested";
    Booked => "booked", "Booked";
    Confirmed => "confirmed", "Confirmed";
    Arrived => "arrived", "Arrived";
    Completed => "completed", "Completed";
    NoShow => "no_show", "No-show";
    LateCancelled => "late_cancelled", "Late cancellation";
    Cancelled => "cancelled", "Cancelled";
});

impl Status {
    /// Whether the appointment holds its time (cancelled ones free it for others).
    pub fn holds_time(self) -> bool {
        !matches!(self, Status::Cancelled | Status::LateCancelled)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::NoShow | Status::LateCancelled | Status::Cancelled
        )
    }

    /// Allowed next statuses; everything else is refused with a reason.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        match self {
            // An online request waits for the practice to accept (booked) or decline (cancelled) it.
            Requested => matches!(next, Booked | Confirmed | Cancelled),
            Booked => matches!(
                next,
                Confirmed | Arrived | Completed | NoShow | LateCancelled | Cancelled
            ),
            Confirmed => matches!(
                next,
                Arrived | Completed | NoShow | LateCancelled | Cancelled
            ),
            Arrived => matches!(next, Completed),
            Completed | NoShow | LateCancelled | Cancelled => false,
        }
    }

    pub fn transition(self, next: Status) -> Result<Status> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(Error::Conflict(format!(
                "an appointment that is {} cannot become {}",
                self.label().to_lowercase(),
                next.label().to_lowercase()
            )))
        }
    }
}

/// A cancellation inside the practice's window (24 hours by default) is a late cancellation.
pub fn cancellation_status(now: DateTime<Utc>, start: DateTime<Utc>, window: Duration) -> Status {
    if start - now < window {
        Status::LateCancelled
    } else {
        Status::Cancelled
    }
}

/// An appointment type as the practice defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentType {
    pub key: String,
    pub label: String,
    pub kind: AppointmentKind,
    pub minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub modes: Vec<Mode>,
    /// CPT code used for billing (90791 intake, 90837 individual 53+ minutes, 90847 family/couple, 90853 group,
    /// 90839 crisis first hour).
    pub service_code: Option<String>,
}

impl AppointmentType {
    pub fn length(&self) -> Duration {
        Duration::minutes(self.minutes as i64)
    }

    pub fn buffers(&self) -> (Duration, Duration) {
        (
            Duration::minutes(self.buffer_before_minutes as i64),
            Duration::minutes(self.buffer_after_minutes as i64),
        )
    }
}

/// The starting set, editable by the practice: intake 60, individual 53 (the "therapeutic hour"), couple and family
/// 60, group 90, crisis 30, consultation 30 minutes.
pub fn default_types() -> Vec<AppointmentType> {
    let t = |key: &str, label: &str, kind, minutes, after, modes: &[Mode], code: Option<&str>| {
        AppointmentType {
            key: key.into(),
            label: label.into(),
            kind,
            minutes,
            buffer_before_minutes: 0,
            buffer_after_minutes: after,
            modes: modes.to_vec(),
            service_code: code.map(String::from),
        }
    };
    let both = [Mode::InPerson, Mode::Telehealth];
    vec![
        t(
            "intake",
            "Intake assessment",
            AppointmentKind::Intake,
            60,
            0,
            &both,
            Some("90791"),
        ),
        t(
            "individual",
            "Individual therapy",
            AppointmentKind::Individual,
            53,
            7,
            &both,
            Some("90837"),
        ),
        t(
            "couple",
            "Couple therapy",
            AppointmentKind::Couple,
            60,
            0,
            &both,
            Some("90847"),
        ),
        t(
            "family",
            "Family therapy",
            AppointmentKind::Family,
            60,
            0,
            &both,
            Some("90847"),
        ),
        t(
            "group",
            "Group therapy",
            AppointmentKind::Group,
            90,
            0,
            &[Mode::InPerson],
            Some("90853"),
        ),
        t(
            "crisis",
            "Crisis session",
            AppointmentKind::Crisis,
            30,
            0,
            &both,
            Some("90839"),
        ),
        t(
            "consultation",
            "Consultation",
            AppointmentKind::Consultation,
            30,
            0,
            &both,
            None,
        ),
    ]
}

/// Checks that the number of client participants fits the kind (an individual session has one client, a couple
/// two, a family two or more, a group any number from the roster).
pub fn check_participants(kind: AppointmentKind, clients: usize) -> Result<()> {
    let ok = match kind {
        AppointmentKind::Individual | AppointmentKind::Intake | AppointmentKind::Crisis => {
            clients == 1
        }
        AppointmentKind::Couple => clients == 2,
        AppointmentKind::Family => clients >= 2,
        AppointmentKind::Group => clients >= 1,
        AppointmentKind::Consultation => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "client_ids",
            match kind {
                AppointmentKind::Couple => "a couple session has exactly two clients".to_string(),
                AppointmentKind::Family => "a family session has at least two clients".to_string(),
                AppointmentKind::Group => "a group session needs at least one member".to_string(),
                other => format!(
                    "a {} session has exactly one client",
                    other.label().to_lowercase()
                ),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_lifecycle_moves_forward_only() {
        assert!(Status::Booked.can_become(Status::Confirmed));
        assert!(Status::Confirmed.can_become(Status::Arrived));
        assert!(Status::Arrived.can_become(Status::Completed));
        assert!(!Status::Completed.can_become(Status::Booked));
        assert!(!Status::Cancelled.can_become(Status::Confirmed));
        assert!(matches!(
            Status::Arrived.transition(Status::Cancelled),
            Err(Error::Conflict(_))
        ));
        for s in Status::ALL {
            assert!(!s.can_become(*s) || !s.is_final(), "{s:?}");
        }
    }

    #[test]
    fn cancelling_inside_the_window_is_late() {
        let start = Utc.with_ymd_and_hms(2026, 6, 2, 10, 0, 0).unwrap();
        let w = Duration::hours(24);
        assert_eq!(
            cancellation_status(start - Duration::hours(30), start, w),
            Status::Cancelled
        );
        assert_eq!(
            cancellation_status(start - Duration::hours(3), start, w),
            Status::LateCancelled
        );
    }

    #[test]
    fn defaults_match_common_practice() {
        let d = default_types();
        let minutes = |k: &str| d.iter().find(|t| t.key == k).map(|t| t.minutes);
        assert_eq!(minutes("intake"), Some(60));
        assert_eq!(minutes("individual"), Some(53));
        assert_eq!(minutes("group"), Some(90));
        assert_eq!(minutes("crisis"), Some(30));
    }

    #[test]
    fn participants_fit_the_kind() {
        assert!(check_participants(AppointmentKind::Individual, 1).is_ok());
        assert!(check_participants(AppointmentKind::Individual, 2).is_err());
        assert!(check_participants(AppointmentKind::Couple, 2).is_ok());
        assert!(check_participants(AppointmentKind::Couple, 3).is_err());
        assert!(check_participants(AppointmentKind::Group, 30).is_ok());
        assert!(Status::parse("no_show").is_ok());
        assert!(AppointmentKind::parse("poetry").is_err());
    }
}
