//! Demo scores: a few clients answered the PHQ-9 and GAD-7 on paper every fortnight for ten weeks, entered by their
//! clinician through the ordinary use case (scoring, bands, alerts and audit apply), so trends, reliable change and
//! a "not on track" client show on first look. The last answer of the client who is getting worse marks item 9,
//! which raises an alert for the care team to acknowledge.

use super::ResponseInput;
use crate::{App, Ctx};
use chrono::Duration;
use rapport_domain::measures::Answers;
use rapport_domain::{Actor, ClientId, Result, Role, UserId};
use rapport_store::now_utc;
use std::collections::HashMap;

/// Days before today of each of the five administrations.
const DAYS_AGO: [i64; 5] = [70, 56, 42, 28, 14];
/// PHQ-9 totals of a client who improves (a reliable and clinically significant change), and of one who does not.
const IMPROVING_PHQ9: [i32; 5] = [19, 16, 13, 10, 6];
const WORSENING_PHQ9: [i32; 5] = [11, 12, 14, 15, 17];
const IMPROVING_GAD7: [i32; 5] = [15, 13, 11, 8, 5];

/// Answers whose items (`1`…`n`, each 0–3) add up to `total`, item 9 of the PHQ-9 set apart.
fn spread(items: u32, total: i32, critical: i32) -> Answers {
    let mut left = total - critical;
    let mut a = Answers::new();
    for i in 1..=items {
        let v = if i == 9 { critical } else { left.clamp(0, 3) };
        if i != 9 {
            left -= v;
        }
        a.set(i.to_string(), v);
    }
    a.set("difficulty", 1);
    a
}

impl App {
    /// Scores for the first `count` of `clients` (client and primary clinician, whose `roles` are looked up):
    /// every fourth of them gets worse, the others improve.
    pub(crate) async fn seed_demo_scores(
        &self,
        clients: &[(ClientId, UserId)],
        roles: &HashMap<UserId, Vec<Role>>,
        count: usize,
    ) -> Result<usize> {
        let today = now_utc().date_naive();
        let mut entered = 0;
        let mut alert_raised = false;
        for (i, (client, clinician)) in clients.iter().take(count).enumerate() {
            let their = roles
                .get(clinician)
                .cloned()
                .unwrap_or_else(|| vec![Role::Clinician]);
            let ctx = Ctx::new(Actor::staff(*clinician, their), None);
            let worsening = i % 4 == 3;
            for (k, ago) in DAYS_AGO.iter().enumerate() {
                let at = format!("{}T12:00:00Z", today - Duration::days(*ago));
                let last = k + 1 == DAYS_AGO.len();
                let (phq9, critical) = if worsening {
                    (WORSENING_PHQ9[k], i32::from(last && !alert_raised))
                } else {
                    (IMPROVING_PHQ9[k], 0)
                };
                alert_raised |= critical > 0;
                for (instrument, answers) in [
                    ("phq9", spread(9, phq9, critical)),
                    ("gad7", spread(7, IMPROVING_GAD7[k], 0)),
                ] {
                    if worsening && instrument == "gad7" {
                        continue;
                    }
                    let input = ResponseInput {
                        instrument: instrument.into(),
                        answers,
                        assignment_id: None,
                        completed_at: Some(at.clone()),
                        partial: false,
                    };
                    self.enter_measure_response(&ctx, *client, input).await?;
                    entered += 1;
                }
            }
        }
        Ok(entered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_answers_add_up_to_the_total_within_each_items_range() {
        for total in 0..=24 {
            let a = spread(9, total, 0);
            let sum: i32 = (1..=9).filter_map(|i| a.get(&i.to_string())).sum();
            assert_eq!(sum, total);
            assert!((1..=9).all(|i| a.get(&i.to_string()).is_some_and(|v| (0..=3).contains(&v))));
        }
        assert_eq!(spread(9, 17, 1).get("9"), Some(1));
    }
}
