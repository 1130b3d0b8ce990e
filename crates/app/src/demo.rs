//! A demo practice: staff of every role, clinicians across specialisations, age groups and time zones, and a few
//! hundred fictitious clients (minors with guardians among them), so the product can be tried without real data.
//!
//! Everything is generated from a fixed seed, so two demo databases look alike. All names are invented. Each
//! group also has three signed past sessions (`groups::demo`), so a member's chart shows the redacted group view.

use crate::auth::hash_password;
use crate::{App, Ctx};
use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use rapport_domain::client::{ClientStatus, Contact};
use rapport_domain::clinician::WorkingBlock;
use rapport_domain::{ClientId, Error, Result, Role, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::clients::{self, Client, Clinical};
use rapport_store::users::{self, NewUser};
use rapport_store::{care, clinicians, now_utc};

/// The password of every demo account (documented in the README). Each account sets up TOTP at first sign-in.
pub const DEMO_PASSWORD: &str = "rapport demo 2026";

pub struct DemoSummary {
    pub staff: Vec<(String, String)>,
    pub clients: usize,
    pub minors: usize,
    /// Recurring series booked on the demo calendar.
    pub series: usize,
    /// Client portal accounts (e-mail, who), signed in at `/portal/login` with the same password.
    pub portal: Vec<(String, String)>,
}

/// A small deterministic generator (64-bit LCG, Knuth's constants): enough for picking names, no dependency.
struct Seq(u64);

impl Seq {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() as usize) % items.len()]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) const FIRST: &[&str] = &[
    "Amara", "Ben", "Chiara", "Dmitri", "Elif", "Farid", "Grace", "Hiroshi", "Ines", "Jonas",
    "Kemi", "Luca", "Maya", "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Umar",
    "Vera", "Wen", "Ximena", "Yusuf", "Zoe", "Aiden", "Bianca", "Caleb", "Dalia", "Emeka", "Freya",
    "Gabriel", "Hana", "Ivan", "Jade", "Kofi", "Lena",
];
pub(crate) const LAST: &[&str] = &[
    "Abebe",
    "Bergström",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umarov",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Novak",
    "Costa",
    "Murphy",
    "Silva",
];
const ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Australia/Sydney",
];
const PROBLEMS: &[&str] = &[
    "Low mood and loss of interest since a job loss.",
    "Panic attacks on public transport.",
    "Grief after the death of a parent last spring.",
    "Anger outbursts at work; referred by employer.",
    "Alcohol use increasing over the past year.",
    "Sleep difficulties and worry about exams.",
    "Relationship conflict and communication problems.",
    "Intrusive memories after a road accident.",
];

/// A staff account being created: id, e-mail, name, roles, and the clinician profile when there is one.
type PendingStaff = (
    UserId,
    String,
    String,
    Vec<Role>,
    Option<&'static DemoClinician>,
);

struct DemoClinician {
    name: &'static str,
    roles: &'static [Role],
    zone: &'static str,
    specialisations: &'static [&'static str],
    age_groups: &'static [&'static str],
    modalities: &'static [&'static str],
    languages: &'static [&'static str],
}

const CLINICIANS: &[DemoClinician] = &[
    DemoClinician {
        name: "Dr. Helena Marsh",
        roles: &[Role::Clinician, Role::Supervisor],
        zone: "America/New_York",
        specialisations: &["trauma", "anxiety"],
        age_groups: &["adults"],
        modalities: &["emdr", "cbt"],
        languages: &["en"],
    },
    DemoClinician {
        name: "Marcus Oyelaran",
        roles: &[Role::Clinician],
        zone: "America/Chicago",
        specialisations: &["addiction", "anger"],
        age_groups: &["adults"],
        modalities: &["motivational_interviewing", "cbt"],
        languages: &["en"],
    },
    DemoClinician {
        name: "Sofia Reyes",
        roles: &[Role::Clinician],
        zone: "America/Los_Angeles",
        specialisations: &["couples", "family"],
        age_groups: &["adults", "adolescents"],
        modalities: &["gottman", "emotionally_focused"],
        languages: &["en", "es"],
    },
    DemoClinician {
        name: "Jin-woo Park",
        roles: &[Role::Clinician],
        zone: "America/Los_Angeles",
        specialisations: &["anxiety", "ocd"],
        age_groups: &["adolescents", "adults"],
        modalities: &["cbt", "act"],
        languages: &["en", "ko"],
    },
    DemoClinician {
        name: "Annika Larsen",
        roles: &[Role::Clinician],
        zone: "Europe/Berlin",
        specialisations: &["grief", "depression"],
        age_groups: &["older_adults", "adults"],
        modalities: &["humanistic", "psychodynamic"],
        languages: &["en", "de", "da"],
    },
    DemoClinician {
        name: "Tomás Ferreira",
        roles: &[Role::Clinician],
        zone: "Europe/Madrid",
        specialisations: &["depression", "self_harm"],
        age_groups: &["adolescents"],
        modalities: &["dbt"],
        languages: &["es", "pt", "en"],
    },
    DemoClinician {
        name: "Priya Natarajan",
        roles: &[Role::Clinician],
        zone: "Europe/London",
        specialisations: &["eating_disorders", "anxiety"],
        age_groups: &["adolescents", "adults"],
        modalities: &["cbt", "schema"],
        languages: &["en", "ta"],
    },
    DemoClinician {
        name: "Dr. Samuel Adeyemi",
        roles: &[Role::Clinician, Role::Supervisor],
        zone: "Europe/London",
        specialisations: &["psychosis", "personality_disorders"],
        age_groups: &["adults"],
        modalities: &["psychodynamic", "dbt"],
        languages: &["en", "yo"],
    },
    DemoClinician {
        name: "Chloé Bernard",
        roles: &[Role::Clinician],
        zone: "Europe/Berlin",
        specialisations: &["sexual_health", "lgbtq"],
        age_groups: &["adults"],
        modalities: &["humanistic", "act"],
        languages: &["fr", "en"],
    },
    DemoClinician {
        name: "Liam O'Connor",
        roles: &[Role::Clinician],
        zone: "America/Denver",
        specialisations: &["addiction", "trauma"],
        age_groups: &["adults", "older_adults"],
        modalities: &["motivational_interviewing", "emdr"],
        languages: &["en"],
    },
    DemoClinician {
        name: "Mei Chen",
        roles: &[Role::Clinician],
        zone: "Australia/Sydney",
        specialisations: &["family", "anxiety"],
        age_groups: &["children", "adolescents"],
        modalities: &["play_therapy", "family_systems"],
        languages: &["en", "zh"],
    },
    DemoClinician {
        name: "Rafael Mendes",
        roles: &[Role::Clinician],
        zone: "America/New_York",
        specialisations: &["anger", "couples"],
        age_groups: &["adults"],
        modalities: &["solution_focused", "gottman"],
        languages: &["en", "pt"],
    },
    DemoClinician {
        name: "Noor Haddad",
        roles: &[Role::Clinician],
        zone: "America/Chicago",
        specialisations: &["sleep", "depression"],
        age_groups: &["adults", "older_adults"],
        modalities: &["cbt", "act"],
        languages: &["en", "ar"],
    },
];

fn email_of(name: &str) -> String {
    let clean: String = name
        .trim_start_matches("Dr. ")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
        .collect();
    format!(
        "{}@demo.rapport.test",
        clean.trim_matches('.').replace("..", ".")
    )
}

fn hours(seq: &mut Seq) -> Vec<WorkingBlock> {
    let start = 8 + seq.below(3) as u32;
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .filter(|_| seq.below(6) != 0)
    .map(|d| {
        WorkingBlock::anywhere(
            d,
            NaiveTime::from_hms_opt(start, 0, 0).unwrap_or_default(),
            NaiveTime::from_hms_opt(start + 8, 0, 0).unwrap_or_default(),
        )
    })
    .collect()
}

impl App {
    /// Fills an empty database with the demo practice. Refuses a database that already has accounts.
    pub async fn seed_demo(&self, client_count: usize) -> Result<DemoSummary> {
        let ctx = Ctx::operator();
        if !users::list(self.store.unaudited(Unaudited::Setup))
            .await?
            .is_empty()
        {
            return Err(Error::Conflict(
                "the database already has accounts; demo data goes only into an empty one".into(),
            ));
        }
        let hash = hash_password(DEMO_PASSWORD).await?;
        let mut seq = Seq(2026);
        let tx = self.store.begin().await?;
        let mut staff = Vec::new();
        let mut add_user = |email: String, name: &str, roles: &[Role]| {
            staff.push((
                email.clone(),
                format!(
                    "{name} ({})",
                    roles
                        .iter()
                        .map(|r| r.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            (UserId::new(), email)
        };
        let office: [(&str, &[Role]); 3] = [
            ("Olivia Grant", &[Role::Admin]),
            ("Daniel Kim", &[Role::Scheduler]),
            ("Fatima Zahra", &[Role::Billing]),
        ];
        let mut pending: Vec<PendingStaff> = Vec::new();
        for (name, roles) in office {
            let (id, email) = add_user(email_of(name), name, roles);
            pending.push((id, email, name.to_string(), roles.to_vec(), None));
        }
        for c in CLINICIANS {
            let (id, email) = add_user(email_of(c.name), c.name, c.roles);
            pending.push((id, email, c.name.to_string(), c.roles.to_vec(), Some(c)));
        }
        let mut clinician_ids = Vec::new();
        let mut supervisors = Vec::new();
        for (id, email, name, roles, profile) in &pending {
            users::insert(
                tx.conn(),
                NewUser {
                    id: *id,
                    email,
                    display_name: name,
                    password_hash: hash.clone(),
                    roles,
                    must_change_password: false,
                },
            )
            .await?;
            if let Some(c) = profile {
                let list = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
                clinicians::save(
                    tx.conn(),
                    &clinicians::Profile {
                        user_id: *id,
                        display_name: name.clone(),
                        time_zone: c.zone.to_string(),
                        specialisations: list(c.specialisations),
                        age_groups: list(c.age_groups),
                        modalities: list(c.modalities),
                        languages: list(c.languages),
                        accepts_new_clients: seq.below(4) != 0,
                        weekly_hours: hours(&mut seq),
                        licences: Some("Licensed (demo)".into()),
                        bio: None,
                        version: 0,
                    },
                )
                .await?;
                if roles.contains(&Role::Supervisor) {
                    supervisors.push(*id);
                } else {
                    clinician_ids.push(*id);
                }
            }
        }
        // Each supervisor oversees half of the clinicians.
        for (i, c) in clinician_ids.iter().enumerate() {
            care::add_supervision(tx.conn(), supervisors[i % supervisors.len()], *c).await?;
        }
        let today = now_utc().date_naive();
        let mut minors = 0;
        let mut adults: Vec<(ClientId, UserId)> = Vec::new();
        let mut children: Vec<ClientId> = Vec::new();
        for i in 0..client_count {
            let first = *seq.pick(FIRST);
            let last = *seq.pick(LAST);
            // One in six clients is a minor (8–17); the rest adults up to 85.
            let age_years = if i % 6 == 0 {
                8 + seq.below(10)
            } else {
                18 + seq.below(68)
            } as i64;
            let dob = today - Duration::days(age_years * 365 + seq.below(360) as i64 + 3);
            let minor = rapport_domain::client::is_minor(dob, today);
            let guardian_name = format!("{} {last}", seq.pick(FIRST));
            let phone = format!("+1 555 01{:02} {:04}", seq.below(100), seq.below(10000));
            let guardians = if minor {
                minors += 1;
                vec![Contact {
                    name: guardian_name,
                    relationship: Some("parent".into()),
                    phone: Some(phone.clone()),
                    email: None,
                }]
            } else {
                vec![]
            };
            let status = *seq.pick(&[
                ClientStatus::Active,
                ClientStatus::Active,
                ClientStatus::Active,
                ClientStatus::Waitlist,
                ClientStatus::Inquiry,
                ClientStatus::Discharged,
            ]);
            let now = now_utc();
            let c = Client {
                id: ClientId::new(),
                legal_name: format!("{first} {last}"),
                preferred_name: None,
                pronouns: None,
                date_of_birth: dob,
                email: Some(format!("{}.{}{}@example.org", first.to_lowercase(), i, "c")),
                phone: Some(phone),
                time_zone: seq.pick(ZONES).to_string(),
                status,
                emergency_contacts: vec![],
                guardians,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let clinical = Clinical {
                presenting_problem: Some(seq.pick(PROBLEMS).to_string()),
                clinical_notes: None,
            };
            clients::insert(&tx, &c, &clinical).await?;
            let primary = if i % 5 == 0 {
                *seq.pick(&supervisors)
            } else {
                *seq.pick(&clinician_ids)
            };
            care::add(tx.conn(), c.id, primary, "primary").await?;
            if minor {
                children.push(c.id);
            } else {
                adults.push((c.id, primary));
            }
        }
        let staff_names: Vec<(UserId, &str)> =
            pending.iter().map(|p| (p.0, p.2.as_str())).collect();
        let demo_groups = self
            .seed_units_and_groups(&tx, &adults, &children, &staff_names, today)
            .await?;
        crate::behaviour::seed_demo_diaries(&tx, &adults).await?;
        let asking: Vec<ClientId> = adults.iter().map(|(c, _)| *c).collect();
        crate::records::seed_demo(&tx, &asking, pending[1].0, today).await?;
        // The first adult (who has the demo portal account) has a safety plan written with their clinician.
        if let Some((client, clinician)) = adults.first() {
            let lines = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            let plan = rapport_domain::safety::SafetyPlan {
                warning_signs: lines(&["Lying awake past 3 a.m.", "Cancelling plans with friends"]),
                coping: lines(&["Walk around the block", "Shower, then make tea"]),
                distractions: lines(&["The library café", "Calling my cousin about football"]),
                supports: lines(&["My sister: +1 555 0100 2233", "Neighbour downstairs"]),
                professionals: lines(&[
                    "The practice: +1 555 0100 0000 (weekdays 8-18)",
                    "988 Suicide & Crisis Lifeline: call or text 988",
                ]),
                environment: lines(&["Medication kept by my sister"]),
                reasons: lines(&["My dog", "Seeing my niece grow up"]),
            }
            .validated()?;
            rapport_store::safety_plans::save(&tx, *client, 0, &plan, *clinician, now_utc())
                .await?;
        }
        let portal = crate::portal::seed_demo(
            &tx,
            &hash,
            pending[1].0,
            adults.first().map(|a| a.0),
            children.first().copied(),
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "demo.seed", "practice").detail(format!(
                "{} staff, {} clients",
                pending.len(),
                client_count
            )),
        )
        .await?;
        tx.commit().await?;
        // Past sessions go through the facilitators' own use cases, each in its transaction, after the practice
        // exists.
        for g in &demo_groups {
            let roles = pending
                .iter()
                .find(|p| p.0 == g.facilitator)
                .map(|p| p.3.clone())
                .unwrap_or_else(|| vec![Role::Clinician]);
            let ctx = Ctx::new(rapport_domain::Actor::staff(g.facilitator, roles), None);
            self.seed_demo_group_sessions(&ctx, g.id, today).await?;
        }
        let series = self
            .seed_calendar(pending[0].0, &adults, &demo_groups)
            .await?;
        // Scores come last: each answer is entered by the client's own clinician, as the paper-entry page does.
        let roles = pending.iter().map(|p| (p.0, p.3.clone())).collect();
        self.seed_demo_scores(&adults, &roles, 8).await?;
        let on_call: Vec<UserId> = pending
            .iter()
            .filter(|p| p.3.contains(&Role::Clinician))
            .map(|p| p.0)
            .collect();
        self.seed_on_call(pending[0].0, &on_call, today).await?;
        Ok(DemoSummary {
            staff,
            clients: client_count,
            minors,
            series,
            portal,
        })
    }
}

impl App {
    /// A fortnight of night duty (18:00 to 08:00 on the practice's clock), a different clinician each night, planned
    /// through the rota's own use case.
    async fn seed_on_call(
        &self,
        admin: UserId,
        clinicians: &[UserId],
        today: NaiveDate,
    ) -> Result<()> {
        let ctx = Ctx::new(rapport_domain::Actor::staff(admin, vec![Role::Admin]), None);
        for (day, who) in (0..14).zip(clinicians.iter().cycle()) {
            let night = today + Duration::days(day);
            self.add_on_call_shift(
                &ctx,
                crate::on_call::ShiftInput {
                    user_id: who.0.to_string(),
                    start: format!("{night}T18:00"),
                    end: format!("{}T08:00", night + Duration::days(1)),
                    time_zone: None,
                },
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_emails_are_plain_ascii() {
        assert_eq!(
            email_of("Dr. Helena Marsh"),
            "helena.marsh@demo.rapport.test"
        );
        assert_eq!(email_of("Liam O'Connor"), "liam.o.connor@demo.rapport.test");
    }

    #[test]
    fn the_demo_has_what_the_issue_asks() {
        assert!(CLINICIANS.len() >= 12);
        let zones: std::collections::HashSet<_> = CLINICIANS.iter().map(|c| c.zone).collect();
        assert!(zones.len() >= 5);
        for c in CLINICIANS {
            assert!(
                rapport_domain::clinician::vocabulary_list(
                    "s",
                    &c.specialisations
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>(),
                    rapport_domain::clinician::SPECIALISATIONS
                )
                .is_ok(),
                "{}",
                c.name
            );
            assert!(
                rapport_domain::clinician::vocabulary_list(
                    "m",
                    &c.modalities
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>(),
                    rapport_domain::clinician::MODALITIES
                )
                .is_ok(),
                "{}",
                c.name
            );
        }
    }
}
