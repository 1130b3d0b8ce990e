//! Measures in FHIR R4: a response as a QuestionnaireResponse that answers its Questionnaire, a client's scores as
//! a Bundle of survey Observations with LOINC codes (an unscorable response carries a data-absent reason), both
//! audited reads for the care team only; and every resource checked by PyPI `fhir.resources` (FHIR 4.0.1), which
//! scripts/test installs in its own virtual environment.

use super::{client_of, phq9_json};
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both};
use serde_json::{Value, json};

both!(
    a_response_reads_as_a_questionnaire_response_answering_its_questionnaire,
    scores_read_as_a_bundle_of_survey_observations_with_loinc_codes,
    fhir_output_validates_as_r4_with_fhir_resources
);

/// The Python that has `fhir.resources` 6.4.0: `RAPPORT_FHIR_PYTHON`, else the virtual environment scripts/test
/// makes, else `python3`.
fn fhir_python() -> String {
    if let Ok(p) = std::env::var("RAPPORT_FHIR_PYTHON") {
        return p;
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let venv = format!("{home}/.cache/rapport-pyfhir/bin/python");
    if std::path::Path::new(&venv).exists() {
        venv
    } else {
        "python3".into()
    }
}

/// Runs the validator over the resources; returns (success, what it printed on stderr).
pub(super) fn validate(resources: &[(&str, &Value)]) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("rapport-fhir-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<std::path::PathBuf> = resources
        .iter()
        .map(|(name, v)| {
            let f = dir.join(format!("{name}.json"));
            std::fs::write(&f, serde_json::to_vec(v).unwrap()).unwrap();
            f
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ext/fhir_validate.py");
    let out = std::process::Command::new(fhir_python())
        .arg(script)
        .args(&files)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out =
        out.expect("python runs (scripts/test installs fhir.resources in ~/.cache/rapport-pyfhir)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn enter(t: &TestApp, clin: &TestUser, client: &str, body: Value) -> String {
    let r = t
        .post(
            clin,
            &format!("/api/v1/clients/{client}/measure-responses"),
            body,
        )
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

fn at(mut body: Value, when: &str) -> Value {
    body["completed_at"] = json!(when);
    body
}

/// A PHQ-9 with three items blank: more than the two the prorating rule allows, so it cannot be scored.
fn unscorable_phq9() -> Value {
    json!({
        "instrument": "phq9", "partial": true,
        "answers": { "1": 2, "2": 2, "3": 1, "4": 1, "5": 1, "6": 0 },
        "completed_at": "2026-03-01T09:00:00Z",
    })
}

async fn a_response_reads_as_a_questionnaire_response_answering_its_questionnaire(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Quinn Response", "quinn@client.test").await;
    let id = enter(
        &t,
        &clin,
        &client,
        at(
            phq9_json([2, 1, 0, 3, 1, 0, 2, 1, 1]),
            "2026-02-01T10:30:00Z",
        ),
    )
    .await;
    let path = format!("/api/v1/measure-responses/{id}/questionnaire-response");
    let r = t.get(&clin, &path).await;
    r.expect(200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/fhir+json"),
        "{:?}",
        r.headers["content-type"]
    );
    let qr = &r.json;
    assert_eq!(qr["resourceType"], "QuestionnaireResponse");
    assert_eq!(qr["id"], id.as_str());
    assert_eq!(qr["status"], "completed");
    assert_eq!(qr["subject"]["reference"], format!("Patient/{client}"));
    assert_eq!(
        qr["author"]["reference"],
        format!("Practitioner/{}", clin.id)
    );
    assert_eq!(qr["authored"], "2026-02-01T10:30:00+00:00");

    let q = t.get(&clin, "/api/v1/instruments/phq9").await.json["questionnaire"].clone();
    assert_eq!(
        qr["questionnaire"], q["url"],
        "the response names its Questionnaire"
    );
    assert!(
        q["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/instruments/phq9")
    );
    // Every answer is one of the options its question offers, and the items come in the form's order.
    let items = qr["item"].as_array().unwrap();
    assert_eq!(
        items.len(),
        9,
        "the unanswered difficulty question is left out"
    );
    for (n, item) in items.iter().enumerate() {
        let question = &q["item"][n];
        assert_eq!(item["linkId"], question["linkId"]);
        let answer = &item["answer"][0]["valueCoding"];
        let offered = question["answerOption"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["valueCoding"] == *answer);
        assert!(
            offered,
            "item {} answered {answer} is not an option",
            item["linkId"]
        );
    }
    assert_eq!(items[3]["answer"][0]["valueCoding"]["code"], "3");
    assert_eq!(
        items[3]["answer"][0]["valueCoding"]["display"],
        "Nearly every day"
    );
    assert_eq!(
        q["item"][8]["code"][0]["code"], "44260-8",
        "item 9 carries its LOINC code"
    );

    // Someone outside the care team learns nothing, and the refusal is audited like the JSON view's.
    t.get(&other, &path).await.expect(404);
    let reads = t
        .query_text(&format!(
            "SELECT outcome FROM audit_log WHERE action = 'measure.response.read' AND resource_id = '{id}' ORDER BY seq"
        ))
        .await;
    assert_eq!(reads, ["ok", "denied"]);
    t.get(
        &clin,
        "/api/v1/measure-responses/not-a-uuid/questionnaire-response",
    )
    .await
    .expect(404);
}

async fn scores_read_as_a_bundle_of_survey_observations_with_loinc_codes(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Rowan Observed", "rowan@client.test").await;
    let first = enter(
        &t,
        &clin,
        &client,
        at(
            phq9_json([2, 2, 2, 2, 2, 2, 2, 2, 0]),
            "2026-01-05T09:00:00Z",
        ),
    )
    .await;
    let gad = enter(
        &t,
        &clin,
        &client,
        json!({"instrument": "gad7", "answers": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1},
               "completed_at": "2026-01-05T09:05:00Z"}),
    )
    .await;
    let prorated = enter(
        &t,
        &clin,
        &client,
        json!({"instrument": "phq9", "partial": true, "completed_at": "2026-02-01T09:00:00Z",
               "answers": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 0}}),
    )
    .await;
    let invalid = enter(&t, &clin, &client, unscorable_phq9()).await;

    let all = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/measures/observations"),
        )
        .await;
    all.expect(200);
    assert_eq!(all.json["resourceType"], "Bundle");
    assert_eq!(all.json["type"], "searchset");
    assert_eq!(all.json["total"], 4);

    let r = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/measures/observations?instrument=phq9"),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["total"], 3, "only the PHQ-9s");
    let obs: Vec<&Value> = r.json["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let o = obs[0];
    assert_eq!(o["id"], first.as_str());
    assert_eq!(o["status"], "final");
    assert_eq!(o["category"][0]["coding"][0]["code"], "survey");
    assert_eq!(o["code"]["coding"][0]["system"], "http://loinc.org");
    assert_eq!(o["code"]["coding"][0]["code"], "44261-6");
    assert_eq!(o["subject"]["reference"], format!("Patient/{client}"));
    assert_eq!(o["effectiveDateTime"], "2026-01-05T09:00:00+00:00");
    assert_eq!(o["valueQuantity"]["value"], 16.0);
    assert_eq!(o["valueQuantity"]["code"], "{score}");
    assert_eq!(o["interpretation"][0]["text"], "Moderately severe");
    assert_eq!(
        o["derivedFrom"][0]["reference"],
        format!("QuestionnaireResponse/{first}")
    );

    // Prorated: 7 points over 8 items, scaled to 9 items.
    let p = obs[1];
    assert_eq!(p["id"], prorated.as_str());
    assert_eq!(p["valueQuantity"]["value"], 7.875);
    assert!(p["note"][0]["text"].as_str().unwrap().contains("Prorated"));

    // Not scorable: no value, and the reason says why.
    let x = obs[2];
    assert_eq!(x["id"], invalid.as_str());
    assert!(x.get("valueQuantity").is_none(), "{x}");
    assert_eq!(x["dataAbsentReason"]["coding"][0]["code"], "asked-declined");
    assert!(
        x["dataAbsentReason"]["text"]
            .as_str()
            .unwrap()
            .contains("Not scored")
    );

    let g = &all.json["entry"][1]["resource"];
    assert_eq!(g["id"], gad.as_str());
    assert_eq!(g["code"]["coding"][0]["code"], "70274-6");

    let bad = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/measures/observations?instrument=nope"),
        )
        .await;
    bad.expect(422);
    assert_eq!(bad.json["fields"][0]["field"], "instrument");

    let audited = t
        .query_text(&format!(
            "SELECT detail FROM audit_log WHERE action = 'measure.results.read' AND resource_id = '{client}' AND outcome = 'ok' ORDER BY seq"
        ))
        .await;
    assert_eq!(
        audited,
        [
            "FHIR Observations: 4 of 4 responses",
            "FHIR Observations: 3 of 4 responses"
        ]
    );
}

async fn fhir_output_validates_as_r4_with_fhir_resources(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Sasha Valid", "sasha@client.test").await;
    let scored = enter(&t, &clin, &client, phq9_json([1, 2, 3, 0, 1, 2, 3, 0, 1])).await;
    enter(&t, &clin, &client, unscorable_phq9()).await;
    enter(
        &t,
        &clin,
        &client,
        json!({"instrument": "auditc", "answers": {"1": 2, "2": 1, "3": 1}}),
    )
    .await;

    let mut resources: Vec<(String, Value)> = Vec::new();
    let catalogue = t.get(&clin, "/api/v1/instruments").await;
    for i in catalogue.json.as_array().unwrap() {
        let id = i["id"].as_str().unwrap();
        let one = t.get(&clin, &format!("/api/v1/instruments/{id}")).await;
        resources.push((
            format!("questionnaire-{id}"),
            one.json["questionnaire"].clone(),
        ));
    }
    let qr = t
        .get(
            &clin,
            &format!("/api/v1/measure-responses/{scored}/questionnaire-response"),
        )
        .await;
    qr.expect(200);
    resources.push(("questionnaire-response".into(), qr.json.clone()));
    let bundle = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/measures/observations"),
        )
        .await;
    bundle.expect(200);
    assert_eq!(bundle.json["total"], 3);
    resources.push(("observations".into(), bundle.json.clone()));

    let named: Vec<(&str, &Value)> = resources.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let (ok, errors) = validate(&named);
    assert!(ok, "fhir.resources rejected our FHIR output:\n{errors}");

    // The validator is not a rubber stamp: an Observation without its required status is refused.
    let mut broken = bundle.json.clone();
    broken["entry"][0]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    let (ok, errors) = validate(&[("broken", &broken)]);
    assert!(!ok, "a Bundle with an Observation lacking status validated");
    assert!(errors.contains("status"), "{errors}");
    // Nor is a status outside its required value set, which the package itself lets through.
    let mut broken = bundle.json.clone();
    broken["entry"][0]["resource"]["status"] = json!("done");
    let (ok, errors) = validate(&[("broken", &broken)]);
    assert!(!ok, "an Observation with status 'done' validated");
    assert!(errors.contains("Observation.status = 'done'"), "{errors}");
}
