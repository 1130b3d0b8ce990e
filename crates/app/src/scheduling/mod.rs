//! Scheduling use cases: booking single sessions and series, moving and cancelling them, calendars, slot search,
//! and the practice's scheduling set-up. Conflicts are checked inside the write transaction, which holds the
//! writers' turn, so two bookings of the same slot are serialised on both databases and only one succeeds.

mod booking;
mod calendar;
mod client_link;
mod demo;
mod feed;
mod online;
mod online_rules;
mod reminders;
mod setup;
mod waitlist;
mod wire;

pub use booking::{BookingInput, RescheduleInput, SeriesChangeInput, StatusInput};
pub use calendar::{CalendarQuery, SlotQueryInput, SlotView};
pub use client_link::{OwnAppointment, OwnAppointments};
pub use feed::{FeedCreated, FeedStatus, vtimezone};
pub use online::{BookingOutcome, LinkContext, PublicClinician, PublicRequest};
pub use online_rules::{ClinicianOnlineRules, OnlineRules};
pub use setup::{ExceptionInput, ExceptionView, SchedulingSettings};
pub use waitlist::{OfferStatus, OfferView, WaitlistInput, WaitlistView};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rapport_domain::scheduling::appointment::AppointmentType;
use rapport_domain::{ClientId, UserId};
use serde::Serialize;
use uuid::Uuid;

/// A client taking part, as the caller may see them: only those the caller may know about are named.
#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub client_id: ClientId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppointmentView {
    pub id: Uuid,
    pub series_id: Option<Uuid>,
    pub occurrence_index: Option<i32>,
    pub type_key: String,
    pub kind: String,
    pub mode: String,
    pub status: String,
    pub clinician_id: UserId,
    pub clinician_name: String,
    pub room_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    #[serde(serialize_with = "wire::instant")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "wire::instant")]
    pub end: DateTime<Utc>,
    /// Wall-clock start and end in `time_zone`.
    #[serde(serialize_with = "wire::wall")]
    pub start_local: NaiveDateTime,
    #[serde(serialize_with = "wire::wall")]
    pub end_local: NaiveDateTime,
    pub time_zone: String,
    /// The clients the caller may know about; `client_count` counts them all.
    pub clients: Vec<Participant>,
    pub client_count: usize,
    pub version: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub change: String,
    pub from_start: Option<DateTime<Utc>>,
    pub to_start: Option<DateTime<Utc>>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppointmentDetail {
    #[serde(flatten)]
    pub appointment: AppointmentView,
    pub history: Vec<HistoryView>,
    /// The reason given at cancellation, for those who may read the clients' clinical records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// The result of booking: the appointments made (one, or every occurrence of a series).
#[derive(Debug, Clone, Serialize)]
pub struct Booked {
    pub series_id: Option<Uuid>,
    pub appointments: Vec<AppointmentView>,
}

/// Practice rules for scheduling, from the settings table with defaults.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Cancelling closer than this to the start is a late cancellation.
    pub cancellation_window: Duration,
}

pub(crate) fn buffers(t: &AppointmentType) -> (Duration, Duration) {
    t.buffers()
}
