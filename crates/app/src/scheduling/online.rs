//! Online booking for private practice: a public page per practice and per clinician where new clients request a
//! first consultation, and booking for existing clients through a one-time link sent by e-mail.
//!
//! The rules (`online_rules`) decide who is offered and when. Public visitors learn nothing about existing
//! clients: the link request answers the same whether or not the address is known.

use super::SlotView;
use super::booking::Plan;
use super::calendar::Place;
use super::online_rules::OnlineRules;
use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rapport_domain::client::{ClientStatus, is_minor};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::Status;
use rapport_domain::{Actor, ClientId, Error, Result, UserId, labels, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::clients::{Client, Clinical};
use rapport_store::outbox::{self, NewMessage};
use rapport_store::{Tx, booking_links, care, clients, clinicians, now_utc, resources};
use serde::{Deserialize, Serialize};

/// A clinician as the public pages show them, the vocabularies in words ("older adults", "German").
#[derive(Debug, Clone, Serialize)]
pub struct PublicClinician {
    pub id: UserId,
    pub name: String,
    pub specialisations: Vec<String>,
    pub age_groups: Vec<String>,
    pub modalities: Vec<String>,
    pub languages: Vec<String>,
    pub bio: Option<String>,
}

/// A request from the public page for a first consultation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublicRequest {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub date_of_birth: String,
    pub time_zone: String,
    /// The chosen slot's start (RFC 3339).
    pub start: String,
    /// Left empty by people; filled by form-filling robots.
    #[serde(default)]
    pub website: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BookingOutcome {
    pub status: String,
    pub start: DateTime<Utc>,
    pub start_local: chrono::NaiveDateTime,
    pub time_zone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkContext {
    pub clinicians: Vec<PublicClinician>,
    pub time_zone: String,
}

const LINK_MINUTES: i64 = 30;

fn words(codes: &[String], label: fn(&str) -> String) -> Vec<String> {
    codes.iter().map(|c| label(c)).collect()
}

fn public() -> Ctx {
    Ctx::new(Actor::Public, None)
}

impl App {
    fn public_profile(p: rapport_store::clinicians::Profile) -> PublicClinician {
        PublicClinician {
            id: p.user_id,
            name: p.display_name,
            // The public pages read words, never the stored codes.
            specialisations: words(&p.specialisations, labels::specialisation),
            age_groups: words(&p.age_groups, labels::age_group),
            modalities: words(&p.modalities, labels::modality),
            languages: words(&p.languages, labels::language),
            bio: p.bio,
        }
    }

    /// Clinicians who take new clients and have working hours, for the public page.
    pub async fn public_clinicians(&self) -> Result<Vec<PublicClinician>> {
        let rules = self.open_rules().await?;
        let db = self.store.unaudited(Unaudited::PublicBooking);
        let mut out = Vec::new();
        for p in clinicians::list(db).await? {
            if p.accepts_new_clients
                && !p.weekly_hours.is_empty()
                && self.effective_rules(db, &rules, p.user_id).await?.is_some()
            {
                out.push(Self::public_profile(p));
            }
        }
        Ok(out)
    }

    async fn rule_slots(
        &self,
        c: &impl rapport_store::ConnectionTrait,
        rules: &OnlineRules,
        type_key: &str,
        who: &[UserId],
        tz: Tz,
        limit: usize,
    ) -> Result<Vec<SlotView>> {
        let t = resources::appointment_type(c, type_key)
            .await?
            .ok_or(Error::NotFound)?;
        let now = now_utc();
        let profiles: Vec<_> = clinicians::list(c)
            .await?
            .into_iter()
            .filter(|p| who.contains(&p.user_id))
            .collect();
        let range = Interval::from_duration(now, Duration::days(rules.horizon_days));
        // Online bookings take the type's first mode (see `plan_for`), so only hours kept for it are offered.
        let place = Place {
            mode: t.modes.first().copied(),
            location: None,
        };
        self.slots_among(
            c,
            &t,
            &profiles,
            place,
            range,
            now + Duration::hours(rules.min_notice_hours),
            tz,
            limit,
        )
        .await
    }

    /// The first free consultation times of one clinician (who must take new clients), in the visitor's zone.
    pub async fn public_slots(
        &self,
        clinician: UserId,
        tz: &str,
        limit: usize,
    ) -> Result<Vec<SlotView>> {
        let rules = self.open_rules().await?;
        let tz = validate::time_zone("time_zone", tz)?;
        let db = self.store.unaudited(Unaudited::PublicBooking);
        let p = clinicians::get(db, clinician)
            .await?
            .filter(|p| p.accepts_new_clients)
            .ok_or(Error::NotFound)?;
        let rules = self
            .effective_rules(db, &rules, p.user_id)
            .await?
            .ok_or(Error::NotFound)?;
        self.rule_slots(
            db,
            &rules,
            &rules.new_client_type,
            &[p.user_id],
            tz,
            limit.clamp(1, 60),
        )
        .await
    }

    /// Checks that `start` is a slot the rules offer for this clinician right now.
    async fn offered(
        &self,
        tx: &Tx<'_>,
        rules: &OnlineRules,
        type_key: &str,
        clinician: UserId,
        start: DateTime<Utc>,
    ) -> Result<()> {
        let slots = self
            .rule_slots(
                tx.conn(),
                rules,
                type_key,
                &[clinician],
                chrono_tz::UTC,
                2000,
            )
            .await?;
        if slots.iter().any(|s| s.start == start) {
            Ok(())
        } else {
            Err(Error::Conflict(
                "that time is no longer available; please choose another".into(),
            ))
        }
    }

    async fn plan_for(
        &self,
        tx: &Tx<'_>,
        type_key: &str,
        clinician: UserId,
        client: ClientId,
    ) -> Result<Plan> {
        let t = resources::appointment_type(tx.conn(), type_key)
            .await?
            .ok_or(Error::NotFound)?;
        let profile = clinicians::get(tx.conn(), clinician)
            .await?
            .ok_or(Error::NotFound)?;
        let tz: Tz = profile.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let mode = t
            .modes
            .first()
            .copied()
            .unwrap_or(rapport_domain::scheduling::appointment::Mode::InPerson);
        Ok(Plan {
            t,
            mode,
            profile,
            tz,
            clients: vec![client],
            room: None,
            group: None,
            known: Default::default(),
        })
    }

    /// A new client asks for a first consultation. The client record is created as an inquiry; the appointment is
    /// requested (or booked, if the practice does not approve first).
    pub async fn request_booking(
        &self,
        clinician: UserId,
        req: PublicRequest,
        request_id: Option<&str>,
    ) -> Result<BookingOutcome> {
        let rules = self.open_rules().await?;
        let rules = self
            .effective_rules(
                self.store.unaudited(Unaudited::PublicBooking),
                &rules,
                clinician,
            )
            .await?
            .ok_or(Error::NotFound)?;
        let mut p = Problems::new();
        let name = p.take(validate::required_line("name", &req.name, 200));
        let email = p.take(validate::Email::parse(&req.email));
        let phone = p.take(validate::optional_phone("phone", &req.phone));
        let dob = p.take(validate::date_of_birth(
            &req.date_of_birth,
            now_utc().date_naive(),
        ));
        let tz = p.take(validate::time_zone("time_zone", &req.time_zone));
        let start = match validate::instant("start", &req.start) {
            Ok(s) => Some(s),
            Err(_) => {
                p.add("start", "choose one of the times offered");
                None
            }
        };
        if let Some(d) = dob
            && is_minor(d, now_utc().date_naive())
        {
            p.add(
                "date_of_birth",
                "for someone under 18, a parent or guardian please contacts the practice directly",
            );
        }
        p.finish()?;
        let (Some(name), Some(email), Some(phone), Some(dob), Some(tz), Some(start)) =
            (name, email, phone, dob, tz, start)
        else {
            return Err(Error::internal("validation passed without values"));
        };
        let outcome_status = if rules.approve_new_clients {
            Status::Requested
        } else {
            Status::Booked
        };
        let outcome = BookingOutcome {
            status: outcome_status.as_str().into(),
            start,
            start_local: start.with_timezone(&tz).naive_local(),
            time_zone: tz.name().into(),
        };
        if !req.website.trim().is_empty() {
            // A robot filled the hidden field: answer as if it worked, store nothing.
            return Ok(outcome);
        }
        let tx = self.store.begin().await?;
        let ctx = public();
        let tx = self
            .guard(
                tx,
                &ctx,
                Action::Create,
                Resource::OnlineBooking {
                    enabled: rules.enabled,
                },
                AuditEvent::new(&ctx.actor, "online.request", "appointment"),
            )
            .await?;
        clinicians::get(tx.conn(), clinician)
            .await?
            .filter(|p| p.accepts_new_clients)
            .ok_or(Error::NotFound)?;
        self.offered(&tx, &rules, &rules.new_client_type, clinician, start)
            .await?;
        let now = now_utc();
        let client = Client {
            id: ClientId::new(),
            legal_name: name,
            preferred_name: None,
            pronouns: None,
            date_of_birth: dob,
            email: Some(email.to_string()),
            phone,
            time_zone: tz.name().into(),
            status: ClientStatus::Inquiry,
            emergency_contacts: vec![],
            guardians: vec![],
            created_at: now,
            updated_at: now,
            version: 1,
        };
        clients::insert(&tx, &client, &Clinical::default()).await?;
        care::add(tx.conn(), client.id, clinician, "primary").await?;
        let plan = self
            .plan_for(&tx, &rules.new_client_type, clinician, client.id)
            .await?;
        let session = Interval::from_duration(start, plan.t.length());
        self.check_conflicts(&tx, &plan, &[session], &[]).await?;
        let made = self
            .insert_occurrences(
                &tx,
                &ctx,
                &plan,
                &[(None, start)],
                None,
                outcome_status,
                &self.reminder_plan(tx.conn(), &plan.clients).await?,
            )
            .await?;
        let when = start
            .with_timezone(&tz)
            .format("%A %-d %B %Y at %H:%M")
            .to_string();
        let practice = resources::practice_name(tx.conn()).await?;
        let body = if outcome_status == Status::Requested {
            format!(
                "Hello,\n\nThank you for your request for a first appointment on {when} ({}). We will confirm it shortly.\n\n{practice}\n",
                tz.name()
            )
        } else {
            format!(
                "Hello,\n\nYour first appointment is booked for {when} ({}).\n\n{practice}\n",
                tz.name()
            )
        };
        outbox::enqueue(
            &tx,
            NewMessage {
                dedupe_key: format!("online:{}", made.first().map(|a| a.id).unwrap_or_default()),
                kind: "online_ack",
                appointment_id: made.first().map(|a| a.id),
                recipient: email.to_string(),
                subject: "Your appointment request".into(),
                body,
                due_at: now,
            },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "online.request", "appointment")
                .client(client.id.0)
                .request(request_id)
                .detail(outcome_status.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Sends a one-time booking link to every current client with this address. Answers the same either way.
    pub async fn send_booking_link(&self, email: &str, request_id: Option<&str>) -> Result<()> {
        let rules = self.open_rules().await?;
        let Ok(email) = validate::Email::parse(email) else {
            return Err(Error::invalid(
                "email",
                "this does not look like an e-mail address",
            ));
        };
        let tx = self.store.begin().await?;
        let ctx = public();
        let tx = self
            .guard(
                tx,
                &ctx,
                Action::Read,
                Resource::OnlineBooking {
                    enabled: rules.enabled,
                },
                AuditEvent::new(&ctx.actor, "online.link", "booking_link"),
            )
            .await?;
        let practice = resources::practice_name(tx.conn()).await?;
        for c in clients::by_email(tx.conn(), email.as_str()).await? {
            if is_minor(c.date_of_birth, now_utc().date_naive()) {
                continue;
            }
            let token = secrets::token();
            booking_links::create(
                tx.conn(),
                c.id,
                &sha256_hex(&token),
                now_utc() + Duration::minutes(LINK_MINUTES),
            )
            .await?;
            let url = format!(
                "{}/book/link/{token}",
                self.config.public_url.trim_end_matches('/')
            );
            outbox::enqueue(
                &tx,
                NewMessage {
                    dedupe_key: format!("link:{}", sha256_hex(&token)),
                    kind: "booking_link",
                    appointment_id: None,
                    recipient: email.to_string(),
                    subject: "Your booking link".into(),
                    body: format!(
                        "Hello,\n\nUse this link within {LINK_MINUTES} minutes to choose an appointment time:\n{url}\n\nIf you did not ask for it, you can ignore this message.\n\n{practice}\n"
                    ),
                    due_at: now_utc(),
                },
            )
            .await?;
            tx.audit(
                AuditEvent::new(&ctx.actor, "online.link", "booking_link")
                    .client(c.id.0)
                    .request(request_id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn link_client(
        &self,
        c: &impl rapport_store::ConnectionTrait,
        token: &str,
    ) -> Result<(booking_links::BookingLink, Client)> {
        let link = booking_links::live(c, &sha256_hex(token))
            .await?
            .ok_or(Error::NotFound)?;
        let client = clients::get(c, ClientId(link.client_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok((link, client))
    }

    /// What a booking link offers: the client's own clinicians (never anyone's name but theirs).
    pub async fn link_context(&self, token: &str) -> Result<LinkContext> {
        let rules = self.open_rules().await?;
        let db = self.store.unaudited(Unaudited::PublicBooking);
        let (_, client) = self.link_client(db, token).await?;
        let mut out = Vec::new();
        for m in care::members(db, client.id).await? {
            if self.effective_rules(db, &rules, m.user_id).await?.is_none() {
                continue;
            }
            if let Some(p) = clinicians::get(db, m.user_id)
                .await?
                .filter(|p| !p.weekly_hours.is_empty())
            {
                out.push(Self::public_profile(p));
            }
        }
        Ok(LinkContext {
            clinicians: out,
            time_zone: client.time_zone,
        })
    }

    pub async fn link_slots(
        &self,
        token: &str,
        clinician: UserId,
        limit: usize,
    ) -> Result<Vec<SlotView>> {
        let rules = self.open_rules().await?;
        let db = self.store.unaudited(Unaudited::PublicBooking);
        let (_, client) = self.link_client(db, token).await?;
        if !care::relation(db, clinician, client.id).await?.on_care_team {
            return Err(Error::NotFound);
        }
        let rules = self
            .effective_rules(db, &rules, clinician)
            .await?
            .ok_or(Error::NotFound)?;
        let tz: Tz = client.time_zone.parse().unwrap_or(chrono_tz::UTC);
        self.rule_slots(
            db,
            &rules,
            &rules.existing_client_type,
            &[clinician],
            tz,
            limit.clamp(1, 60),
        )
        .await
    }

    /// Books with a one-time link (the link is used up by the booking).
    pub async fn book_with_link(
        &self,
        token: &str,
        clinician: UserId,
        start: &str,
        request_id: Option<&str>,
    ) -> Result<BookingOutcome> {
        let rules = self.open_rules().await?;
        let start = validate::instant("start", start)
            .map_err(|_| Error::invalid("start", "choose one of the times offered"))?;
        let tx = self.store.begin().await?;
        let ctx = public();
        let tx = self
            .guard(
                tx,
                &ctx,
                Action::Create,
                Resource::OnlineBooking {
                    enabled: rules.enabled,
                },
                AuditEvent::new(&ctx.actor, "online.book", "appointment"),
            )
            .await?;
        let (link, client) = self.link_client(tx.conn(), token).await?;
        if !care::relation(tx.conn(), clinician, client.id)
            .await?
            .on_care_team
        {
            return Err(Error::NotFound);
        }
        let rules = self
            .effective_rules(tx.conn(), &rules, clinician)
            .await?
            .ok_or(Error::NotFound)?;
        self.offered(&tx, &rules, &rules.existing_client_type, clinician, start)
            .await?;
        if !booking_links::consume(tx.conn(), link.id).await? {
            return Err(Error::NotFound);
        }
        let plan = self
            .plan_for(&tx, &rules.existing_client_type, clinician, client.id)
            .await?;
        let session = Interval::from_duration(start, plan.t.length());
        self.check_conflicts(&tx, &plan, &[session], &[]).await?;
        self.insert_occurrences(
            &tx,
            &ctx,
            &plan,
            &[(None, start)],
            None,
            Status::Booked,
            &self.reminder_plan(tx.conn(), &plan.clients).await?,
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "online.book", "appointment")
                .client(client.id.0)
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        let tz: Tz = client.time_zone.parse().unwrap_or(chrono_tz::UTC);
        Ok(BookingOutcome {
            status: Status::Booked.as_str().into(),
            start,
            start_local: start.with_timezone(&tz).naive_local(),
            time_zone: tz.name().into(),
        })
    }
}
