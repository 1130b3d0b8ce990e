//! The clinician directory: every staff member may read it (it is how cases get matched and referred); a
//! clinician edits their own profile, an administrator anyone's.

use crate::{App, Ctx};
use rapport_domain::clinician::{self, WorkingBlock};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{Error, Result, UserId, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::clinicians::{self as repo, Profile};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct ClinicianView {
    pub user_id: UserId,
    pub display_name: String,
    pub time_zone: String,
    pub specialisations: Vec<String>,
    pub age_groups: Vec<String>,
    pub modalities: Vec<String>,
    pub languages: Vec<String>,
    pub accepts_new_clients: bool,
    pub weekly_hours: Vec<WorkingBlock>,
    pub licences: Option<String>,
    pub bio: Option<String>,
    pub version: i32,
}

impl From<Profile> for ClinicianView {
    fn from(p: Profile) -> Self {
        ClinicianView {
            user_id: p.user_id,
            display_name: p.display_name,
            time_zone: p.time_zone,
            specialisations: p.specialisations,
            age_groups: p.age_groups,
            modalities: p.modalities,
            languages: p.languages,
            accepts_new_clients: p.accepts_new_clients,
            weekly_hours: p.weekly_hours,
            licences: p.licences,
            bio: p.bio,
            version: p.version,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicianInput {
    pub time_zone: String,
    #[serde(default)]
    pub specialisations: Vec<String>,
    #[serde(default)]
    pub age_groups: Vec<String>,
    #[serde(default)]
    pub modalities: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub accepts_new_clients: bool,
    #[serde(default)]
    pub weekly_hours: Vec<WorkingBlock>,
    #[serde(default)]
    pub licences: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClinicianFilter {
    pub specialisation: Option<String>,
    pub age_group: Option<String>,
    pub language: Option<String>,
    pub accepting: Option<bool>,
}

impl App {
    pub async fn list_clinicians(
        &self,
        ctx: &Ctx,
        f: &ClinicianFilter,
    ) -> Result<Vec<ClinicianView>> {
        authorize(
            &ctx.actor,
            Action::List,
            Resource::ClinicianProfile {
                owner: UserId::default(),
            },
        )
        .into_result()?;
        let all = repo::list(self.store.unaudited(Unaudited::Directory)).await?;
        let has = |list: &[String], want: &Option<String>| {
            want.as_deref()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .is_none_or(|w| list.iter().any(|x| x == w))
        };
        Ok(all
            .into_iter()
            .filter(|p| has(&p.specialisations, &f.specialisation))
            .filter(|p| has(&p.age_groups, &f.age_group))
            .filter(|p| has(&p.languages, &f.language))
            .filter(|p| f.accepting.is_none_or(|a| p.accepts_new_clients == a))
            .map(ClinicianView::from)
            .collect())
    }

    pub async fn get_clinician(&self, ctx: &Ctx, id: UserId) -> Result<ClinicianView> {
        authorize(
            &ctx.actor,
            Action::Read,
            Resource::ClinicianProfile { owner: id },
        )
        .into_result()?;
        repo::get(self.store.unaudited(Unaudited::Directory), id)
            .await?
            .map(ClinicianView::from)
            .ok_or(Error::NotFound)
    }

    pub async fn update_clinician(
        &self,
        ctx: &Ctx,
        id: UserId,
        expected_version: i32,
        input: ClinicianInput,
    ) -> Result<ClinicianView> {
        let mut p = Problems::new();
        let tz = p.take(validate::time_zone("time_zone", &input.time_zone));
        let specialisations = p.take(clinician::vocabulary_list(
            "specialisations",
            &input.specialisations,
            clinician::SPECIALISATIONS,
        ));
        let age_groups = p.take(clinician::vocabulary_list(
            "age_groups",
            &input.age_groups,
            clinician::AGE_GROUPS,
        ));
        let modalities = p.take(clinician::vocabulary_list(
            "modalities",
            &input.modalities,
            clinician::MODALITIES,
        ));
        let languages = p.take(clinician::languages(&input.languages));
        let hours = p.take(clinician::working_hours(input.weekly_hours.clone()));
        let licences = p.take(validate::optional_line(
            "licences",
            input.licences.as_deref().unwrap_or(""),
            500,
        ));
        let bio = p.take(validate::optional_text(
            "bio",
            input.bio.as_deref().unwrap_or(""),
            4000,
        ));
        p.finish()?;
        let (
            Some(tz),
            Some(specialisations),
            Some(age_groups),
            Some(modalities),
            Some(languages),
            Some(weekly_hours),
            Some(licences),
            Some(bio),
        ) = (
            tz,
            specialisations,
            age_groups,
            modalities,
            languages,
            hours,
            licences,
            bio,
        )
        else {
            return Err(Error::internal("validation passed without values"));
        };
        let tx = self.store.begin().await?;
        let ev = || AuditEvent::new(&ctx.actor, "clinician.update", "clinician").resource(id);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::ClinicianProfile { owner: id },
                ev(),
            )
            .await?;
        let current = repo::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let known: Vec<uuid::Uuid> = rapport_store::resources::locations(tx.conn())
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
        if let Some(b) = weekly_hours
            .iter()
            .find(|b| b.location_id.is_some_and(|l| !known.contains(&l)))
        {
            return Err(Error::invalid(
                "weekly_hours",
                format!(
                    "the {} block from {} names a location that does not exist",
                    b.weekday,
                    b.start.format("%H:%M")
                ),
            ));
        }
        let mut profile = Profile {
            user_id: id,
            display_name: current.display_name,
            time_zone: tz.name().to_string(),
            specialisations,
            age_groups,
            modalities,
            languages,
            accepts_new_clients: input.accepts_new_clients,
            weekly_hours,
            licences,
            bio,
            version: expected_version,
        };
        profile.version = repo::save(tx.conn(), &profile).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(profile.into())
    }
}
