//! Every practice-wide setting in one read, for the administrators' settings page: scheduling (late cancellation,
//! reminders, the name e-mails are signed with, waitlist e-mails), online booking, alert escalation, record
//! requests, diary links, the portal, and the appointment types. Each is changed by its own use case, which asks
//! the policy and audits the change; reading them reveals no client and is not audited.

use crate::scheduling::{OnlineRules, SchedulingSettings};
use crate::{App, Ctx};
use rapport_domain::Result;
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::scheduling::appointment::AppointmentType;
use rapport_store::{Unaudited, resources};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PracticeSettings {
    pub scheduling: SchedulingSettings,
    pub online: OnlineRules,
    pub escalate_after_minutes: i64,
    pub record_request_days: u32,
    pub diary_link_days: i64,
    pub portal_show_record: bool,
    /// The active appointment types (what online booking offers new and existing clients is one of them).
    pub appointment_types: Vec<AppointmentType>,
}

impl App {
    /// The settings page's one read; for those who may change the practice's settings.
    pub async fn practice_settings(&self, ctx: &Ctx) -> Result<PracticeSettings> {
        authorize(&ctx.actor, Action::Update, Resource::PracticeSettings).into_result()?;
        Ok(PracticeSettings {
            scheduling: self.scheduling_settings().await?,
            online: self.online_rules().await?,
            escalate_after_minutes: self.measure_settings().await?.escalate_after_minutes,
            record_request_days: self.record_request_days().await?,
            diary_link_days: self.behaviour_settings().await?.link_days,
            portal_show_record: self.portal_settings().await?.show_record,
            appointment_types: resources::types(self.store.unaudited(Unaudited::Configuration))
                .await?,
        })
    }
}
