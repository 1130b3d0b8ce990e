//! The rules of online booking: the practice's (on or off, minimum notice, horizon, approval of new clients,
//! what new and existing clients book) and each clinician's own, which may take them off the public pages or
//! change notice, horizon and approval for their times. What a clinician leaves unset follows the practice.

use crate::{App, Ctx};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{Actor, Error, Result, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::{clinicians, resources};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnlineRules {
    pub enabled: bool,
    pub min_notice_hours: i64,
    pub horizon_days: i64,
    /// A new client's request waits for the practice to accept it.
    pub approve_new_clients: bool,
    /// What a new client books (a first consultation) and what an existing client books.
    pub new_client_type: String,
    pub existing_client_type: String,
}

impl Default for OnlineRules {
    fn default() -> Self {
        OnlineRules {
            enabled: false,
            min_notice_hours: 24,
            horizon_days: 60,
            approve_new_clients: true,
            new_client_type: "consultation".into(),
            existing_client_type: "individual".into(),
        }
    }
}

/// A clinician's own online-booking rules; each `None` follows the practice's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicianOnlineRules {
    /// Shown on the public pages and offered to their existing clients' booking links.
    #[serde(default = "yes")]
    pub offers_online: bool,
    #[serde(default)]
    pub min_notice_hours: Option<i64>,
    #[serde(default)]
    pub horizon_days: Option<i64>,
    #[serde(default)]
    pub approve_new_clients: Option<bool>,
}

fn yes() -> bool {
    true
}

impl Default for ClinicianOnlineRules {
    fn default() -> Self {
        ClinicianOnlineRules {
            offers_online: true,
            min_notice_hours: None,
            horizon_days: None,
            approve_new_clients: None,
        }
    }
}

impl OnlineRules {
    /// The rules that apply to one clinician's times.
    pub fn for_clinician(&self, own: &ClinicianOnlineRules) -> OnlineRules {
        OnlineRules {
            min_notice_hours: own.min_notice_hours.unwrap_or(self.min_notice_hours),
            horizon_days: own.horizon_days.unwrap_or(self.horizon_days),
            approve_new_clients: own.approve_new_clients.unwrap_or(self.approve_new_clients),
            ..self.clone()
        }
    }
}

fn check_bounds(p: &mut Problems, notice: Option<i64>, horizon: Option<i64>) {
    if notice.is_some_and(|h| !(0..=24 * 30).contains(&h)) {
        p.add("min_notice_hours", "between 0 and 720 hours");
    }
    if horizon.is_some_and(|d| !(1..=365).contains(&d)) {
        p.add("horizon_days", "between 1 and 365 days");
    }
}

fn clinician_key(id: UserId) -> String {
    format!("online_booking.clinician.{}", id.0)
}

impl App {
    pub async fn online_rules(&self) -> Result<OnlineRules> {
        let db = self.store.unaudited(Unaudited::Configuration);
        Ok(match resources::setting(db, "online_booking").await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => OnlineRules::default(),
        })
    }

    /// Turns online booking on or off and sets its rules (administrators).
    pub async fn set_online_rules(&self, ctx: &Ctx, rules: OnlineRules) -> Result<()> {
        let mut p = Problems::new();
        check_bounds(
            &mut p,
            Some(rules.min_notice_hours),
            Some(rules.horizon_days),
        );
        p.finish()?;
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::OnlineBooking {
                    enabled: rules.enabled,
                },
                AuditEvent::new(&ctx.actor, "settings.online_booking", "settings"),
            )
            .await?;
        for key in [&rules.new_client_type, &rules.existing_client_type] {
            if resources::appointment_type(tx.conn(), key).await?.is_none() {
                return Err(Error::invalid(
                    "new_client_type",
                    format!("there is no appointment type '{key}'"),
                ));
            }
        }
        let json = serde_json::to_string(&rules).map_err(Error::internal)?;
        resources::set_setting(tx.conn(), "online_booking", &json).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.online_booking", "settings")
                .request(ctx.rid())
                .detail(if rules.enabled { "on" } else { "off" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A clinician's own rules (unset fields follow the practice).
    pub async fn clinician_online_rules(
        &self,
        ctx: &Ctx,
        clinician: UserId,
    ) -> Result<ClinicianOnlineRules> {
        authorize(
            &ctx.actor,
            Action::Read,
            Resource::ClinicianProfile { owner: clinician },
        )
        .into_result()?;
        let db = self.store.unaudited(Unaudited::Configuration);
        clinicians::get(db, clinician)
            .await?
            .ok_or(Error::NotFound)?;
        self.own_rules(db, clinician).await
    }

    async fn own_rules(
        &self,
        c: &impl rapport_store::ConnectionTrait,
        clinician: UserId,
    ) -> Result<ClinicianOnlineRules> {
        Ok(
            match resources::setting(c, &clinician_key(clinician)).await? {
                Some(json) => serde_json::from_str(&json).unwrap_or_default(),
                None => ClinicianOnlineRules::default(),
            },
        )
    }

    /// The practice's rules as they apply to this clinician, or `None` when the clinician is not offered online.
    pub(crate) async fn effective_rules(
        &self,
        c: &impl rapport_store::ConnectionTrait,
        practice: &OnlineRules,
        clinician: UserId,
    ) -> Result<Option<OnlineRules>> {
        let own = self.own_rules(c, clinician).await?;
        Ok(own.offers_online.then(|| practice.for_clinician(&own)))
    }

    /// Sets a clinician's own rules (the clinician, or an administrator).
    pub async fn set_clinician_online_rules(
        &self,
        ctx: &Ctx,
        clinician: UserId,
        rules: ClinicianOnlineRules,
    ) -> Result<()> {
        let mut p = Problems::new();
        check_bounds(&mut p, rules.min_notice_hours, rules.horizon_days);
        p.finish()?;
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "settings.online_booking.clinician", "clinician")
                .resource(clinician)
        };
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::ClinicianProfile { owner: clinician },
                ev(),
            )
            .await?;
        clinicians::get(tx.conn(), clinician)
            .await?
            .ok_or(Error::NotFound)?;
        let json = serde_json::to_string(&rules).map_err(Error::internal)?;
        resources::set_setting(tx.conn(), &clinician_key(clinician), &json).await?;
        tx.audit(ev().request(ctx.rid()).detail(if rules.offers_online {
            "offered"
        } else {
            "not offered"
        }))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn open_rules(&self) -> Result<OnlineRules> {
        let rules = self.online_rules().await?;
        authorize(
            &Actor::Public,
            Action::Read,
            Resource::OnlineBooking {
                enabled: rules.enabled,
            },
        )
        .into_result()?;
        Ok(rules)
    }
}
