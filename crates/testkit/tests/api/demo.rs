//! The demo practice has what the issue promises, on both databases.

use rapport_app::clients::ClientQuery;
use rapport_app::clinicians::ClinicianFilter;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both};

both!(the_demo_practice_has_clinicians_minors_units_and_groups);

async fn the_demo_practice_has_clinicians_minors_units_and_groups(b: Backend) {
    let t = TestApp::spawn(b).await;
    let summary = t.app.seed_demo(200).await.unwrap();
    assert_eq!(summary.clients, 200);
    assert!(summary.minors >= 20);
    let admin = t.user(&[Role::Admin]).await;
    let clinicians = t
        .app
        .list_clinicians(&admin.ctx(), &ClinicianFilter::default())
        .await
        .unwrap();
    assert!(clinicians.len() >= 12);
    let zones: std::collections::HashSet<_> =
        clinicians.iter().map(|c| c.time_zone.clone()).collect();
    assert!(zones.len() >= 5, "{zones:?}");
    let specs: std::collections::HashSet<_> = clinicians
        .iter()
        .flat_map(|c| c.specialisations.clone())
        .collect();
    assert!(specs.len() >= 10, "{specs:?}");
    let page = t
        .app
        .search_clients(
            &admin.ctx(),
            &ClientQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 200);
    // Every minor has a guardian.
    for c in page.items.iter().filter(|c| c.is_minor).take(10) {
        let v = t.get(&admin, &format!("/api/v1/clients/{}", c.id)).await;
        assert!(
            !v.json["guardians"].as_array().unwrap().is_empty(),
            "{}",
            v.text
        );
    }
    let kinds = t.query_text("SELECT kind FROM units ORDER BY kind").await;
    assert_eq!(kinds, vec!["couple", "family"]);
    let groups = t.get(&admin, "/api/v1/groups").await;
    groups.expect(200);
    let list = groups.json.as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", groups.text);
    for g in list {
        assert!(g["active_members"].as_u64().unwrap() >= 8, "{g}");
        assert!(!g["facilitators"].as_array().unwrap().is_empty());
    }
    // A group member's record shows their own group, and names no other member.
    let mut found = None;
    for c in &page.items {
        let v = t.get(&admin, &format!("/api/v1/clients/{}", c.id)).await;
        if !v.json["groups"].as_array().unwrap().is_empty() {
            found = Some(v);
            break;
        }
    }
    let v = found.expect("some client is on a group roster");
    // One group (a member who left and rejoined has a line per period).
    let ids: std::collections::HashSet<&str> = v.json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{}", v.text);
    let own = v.json["legal_name"].as_str().unwrap();
    for other in page.items.iter().filter(|c| c.legal_name != own) {
        assert!(
            !v.text.contains(&other.legal_name),
            "{} named on {own}'s record",
            other.legal_name
        );
    }
    // A fortnight of night duty on the rota, a different clinician each night.
    let rota = t
        .get(
            &admin,
            &format!(
                "/api/v1/on-call-shifts?from={}&to={}",
                rapport_testkit::now().date_naive(),
                rapport_testkit::now().date_naive() + chrono::Duration::days(15)
            ),
        )
        .await;
    rota.expect(200);
    let nights = rota.json.as_array().unwrap();
    assert_eq!(nights.len(), 14, "{}", rota.text);
    assert_ne!(nights[0]["user"]["id"], nights[1]["user"]["id"]);
    assert!(
        nights[0]["start_local"]
            .as_str()
            .unwrap()
            .ends_with("T18:00")
    );
    // The calendar is filled: individual series and the two groups' evening sessions.
    assert!(summary.series >= 50, "{} series", summary.series);
    let today = rapport_testkit::now().date_naive();
    let from = today + chrono::Duration::days(7);
    let week = t
        .get(
            &admin,
            &format!(
                "/api/v1/appointments?from={from}&to={}",
                from + chrono::Duration::days(7)
            ),
        )
        .await;
    week.expect(200);
    let list = week.json.as_array().unwrap();
    assert!(list.len() >= 50, "{} appointments next week", list.len());
    let group = list
        .iter()
        .find(|a| a["kind"] == "group")
        .expect("a group session");
    assert!(group["client_count"].as_u64().unwrap() >= 8);
    // Someone outside the roster cannot join a group session.
    let outsider = page.items.iter().find(|c| c.is_minor).unwrap().id;
    let g = t.get(&admin, "/api/v1/groups").await.json[0].clone();
    let r = t
        .post(&admin, "/api/v1/appointments", serde_json::json!({
            "type_key": "group", "clinician_id": g["facilitators"][0]["user_id"], "group_id": g["id"],
            "client_ids": [outsider], "start": format!("{}T20:00", today + chrono::Duration::days(30)), "outside_working_hours": true,
        }))
        .await;
    r.expect(422);
    assert!(
        r.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("roster"),
        "{}",
        r.text
    );

    // Each group has signed past sessions with attendance, notes and a talk tally, made by its facilitator; a
    // member's chart shows the shared note and their own note, and no other member. A member who left and came
    // back has the sessions of both periods in their chart, and not the one between.
    let mut rejoined = 0;
    for g in t
        .get(&admin, "/api/v1/groups")
        .await
        .json
        .as_array()
        .unwrap()
    {
        let lead = g["facilitators"][0]["user_id"].as_str().unwrap();
        let lead = rapport_domain::UserId(lead.parse().unwrap());
        let ctx = rapport_app::Ctx::new(
            rapport_domain::Actor::staff(lead, vec![Role::Clinician]),
            None,
        );
        let gid: uuid::Uuid = g["id"].as_str().unwrap().parse().unwrap();
        let sessions = t.app.list_group_sessions(&ctx, gid).await.unwrap();
        let past: Vec<_> = sessions.iter().filter(|s| s.date < today).collect();
        assert_eq!(past.len(), 3, "{sessions:?}");
        assert!(past.iter().all(|s| s.signed));
        let whole = t.app.get_group_session(&ctx, past[0].id).await.unwrap();
        assert!(whole.talk.total_seconds > 600, "{:?}", whole.talk);
        assert!(whole.talk.shares.len() >= 5);
        assert!(
            whole
                .members
                .iter()
                .any(|m| m.attendance.is_some_and(|a| !a.attended()))
        );
        let roster = t.app.get_group(&ctx, gid).await.unwrap();
        for m in roster.members.iter().filter(|m| m.periods.len() > 1) {
            rejoined += 1;
            let dates: Vec<_> = t
                .app
                .client_group_sessions(&ctx, m.client_id)
                .await
                .unwrap()
                .iter()
                .map(|s| s.date)
                .collect();
            let mut expected: Vec<_> = past
                .iter()
                .map(|s| s.date)
                .filter(|d| rapport_domain::group::roster::member_on(&m.periods, *d))
                .collect();
            expected.sort_by(|a, b| b.cmp(a));
            assert_eq!(dates.len(), 2, "{:?} {dates:?}", m.periods);
            assert_eq!(dates, expected);
        }
        assert!(
            roster.members.iter().any(|m| m.left_on.is_some()) || rejoined > 0,
            "some roster history in {}",
            roster.name
        );
        let with_note = whole
            .members
            .iter()
            .find(|m| m.note.is_some())
            .expect("an individual note");
        let chart = t
            .app
            .client_group_sessions(&ctx, with_note.client_id)
            .await
            .unwrap();
        let own = chart
            .iter()
            .find(|s| s.session_id == whole.id)
            .expect("the session in the member's chart");
        assert_eq!(own.shared_note, whole.shared_note);
        assert_eq!(own.own_note, with_note.note);
        let shown = serde_json::to_string(&chart).unwrap();
        for m in roster
            .members
            .iter()
            .filter(|m| m.client_id != with_note.client_id)
        {
            for part in m.name.split_whitespace() {
                assert!(
                    !shown.contains(part) || with_note.name.contains(part),
                    "{part} in {shown}"
                );
            }
        }
    }
    assert_eq!(rejoined, 1, "one demo member left and rejoined");
    // The demo's portal accounts sign in with the demo password and each reaches one person's record.
    assert_eq!(summary.portal.len(), 2, "{:?}", summary.portal);
    for (email, who) in &summary.portal {
        let token = t
            .app
            .portal_login(email, rapport_app::demo::DEMO_PASSWORD, None)
            .await
            .unwrap();
        let session = t.app.portal_session(&token).await.unwrap().unwrap();
        let ctx = session.ctx(None);
        let people = t.app.portal_people(&ctx).await.unwrap();
        assert_eq!(people.len(), 1, "{who}");
        assert!(who.ends_with(&people[0].name), "{who}");
        let record = t
            .app
            .portal_record(&ctx, people[0].client_id)
            .await
            .unwrap();
        assert_eq!(record.client.id, people[0].client_id);
    }
    t.finish().await;
}
