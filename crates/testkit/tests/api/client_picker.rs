//! The client picker of the booking and waitlist forms: with far more clients than a select could hold, the front
//! desk finds anyone by part of the name (any case), tells equal names apart by date of birth, and books them; a
//! list is never cut short without saying so, and a clinician finds only their own clients.

use rapport_app::clients::ClientInput;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, both};

both!(
    the_front_desk_books_and_waitlists_a_client_far_beyond_the_first_page,
    a_clinician_finds_only_clients_of_their_own_care_teams,
    the_group_roster_search_says_how_many_it_offers_with_dates_of_birth,
);

/// Creates `n` filler clients ("Client 000" …) and the named ones, through the use cases (quicker than HTTP);
/// returns the named ones' ids in order.
async fn practice(t: &TestApp, desk: &TestUser, n: usize, named: &[(&str, &str)]) -> Vec<String> {
    let input = |name: String, born: &str| ClientInput {
        legal_name: name,
        date_of_birth: born.into(),
        time_zone: "Europe/Berlin".into(),
        ..Default::default()
    };
    for i in 0..n {
        t.app
            .create_client(&desk.ctx(), input(format!("Client {i:03}"), "1980-05-17"))
            .await
            .unwrap();
    }
    let mut ids = vec![];
    for (name, born) in named {
        let c = t
            .app
            .create_client(&desk.ctx(), input(name.to_string(), born))
            .await
            .unwrap();
        ids.push(c.id.0.to_string());
    }
    ids
}

/// The radio button offering `id` for `field`, if the page has one.
fn offers(page: &str, field: &str, id: &str) -> bool {
    page.contains(&format!("type=\"radio\" name=\"{field}\" value=\"{id}\""))
}

async fn the_front_desk_books_and_waitlists_a_client_far_beyond_the_first_page(b: Backend) {
    let t = TestApp::spawn(b).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let ids = practice(
        &t,
        &desk,
        300,
        &[
            ("Zora Zimmermann", "1991-02-03"),
            ("Tara Young", "1984-07-21"),
            ("Tara Young", "2001-11-09"),
        ],
    )
    .await;
    let (zora, tara_84, tara_01) = (&ids[0], &ids[1], &ids[2]);
    let web = t.sign_in(&desk).await;

    // Before a search, the form offers nobody from so large a directory, and says how many clients there are.
    let (status, _, page) = web.get("/appointments/new").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("303 clients: type part of a name to find one."),
        "the form should say how many clients there are: {page}"
    );
    assert!(
        !page.contains("type=\"radio\" name=\"client_1\""),
        "nobody is offered before a search"
    );
    // A search matching more than the form shows says so.
    let (_, _, page) = web.get("/appointments/new?client_q=client").await;
    assert!(
        page.contains("Showing 20 of 300 clients matching “client”; type more of the name, or a date of birth \
                 (YYYY-MM-DD), to narrow the list."),
        "{page}"
    );

    // Part of the name, in any case, finds the client whose name sorts last.
    for q in ["zimm", "ZIMMER", "zora%20z"] {
        let (status, _, page) = web.get(&format!("/appointments/new?client_q={q}")).await;
        assert_eq!(status, 200);
        assert!(
            offers(&page, "client_1", zora),
            "searching {q:?} should offer Zora: {page}"
        );
        assert!(page.contains("1 client matches"), "searching {q:?}: {page}");
        assert!(
            page.contains("born 1991-02-03"),
            "the date of birth tells clients apart"
        );
    }

    // LIKE's wildcards typed in the field are only characters.
    let (_, _, page) = web.get("/appointments/new?client_q=_").await;
    assert!(page.contains("No client matches “_”."), "{page}");
    let (_, _, page) = web.get("/appointments/new?client_q=%25").await;
    assert!(page.contains("No client matches “%”."), "{page}");

    // Two clients with the same name: both offered, each with a date of birth.
    let (_, _, page) = web.get("/appointments/new?client_q=tara+young").await;
    assert!(page.contains("2 clients match “tara young”."), "{page}");
    assert!(offers(&page, "client_1", tara_84) && offers(&page, "client_1", tara_01));
    assert!(page.contains("born 1984-07-21") && page.contains("born 2001-11-09"));
    // A date of birth typed with the name tells them apart.
    let (_, _, page) = web
        .get("/appointments/new?client_q=Tara+Young+2001-11-09")
        .await;
    assert!(offers(&page, "client_1", tara_01) && !offers(&page, "client_1", tara_84));
    assert!(
        page.contains("1 client matches “Tara Young 2001-11-09”."),
        "{page}"
    );

    // A search keeps what the form carried in its URL (from the waitlist's links, or an earlier search).
    let start = format!(
        "{}T10:00",
        rapport_testkit::today() + chrono::Duration::days(10)
    );
    let clinician = clin.id.to_string();
    let (_, _, page) = web
        .get(&format!(
            "/appointments/new?clinician={clinician}&start={start}&client={zora}&client2_q=tara"
        ))
        .await;
    assert!(page.contains(&format!(
        "type=\"radio\" name=\"client_1\" value=\"{zora}\" checked"
    )));
    assert!(
        offers(&page, "client_2", tara_84),
        "the second client's search: {page}"
    );
    assert!(page.contains(&format!("name=\"start\" value=\"{start}\"")));

    // The script's search: the same audited use case, through the session cookie.
    let (status, _, json) = web.get("/api/v1/clients?q=Zimm&limit=20").await;
    assert_eq!(status, 200, "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(json["items"][0]["date_of_birth"], "1991-02-03");

    // Booking the client found.
    let (status, location, body) = web
        .post(
            "/appointments",
            &[
                ("type_key", "individual"),
                ("clinician_id", clinician.as_str()),
                ("client_1", zora.as_str()),
                ("start", start.as_str()),
                ("outside_working_hours", "on"),
            ],
        )
        .await;
    assert_eq!(status, 303, "booking Zora: {body}");
    assert!(location.starts_with("/appointments/"), "{location}");
    let (_, _, appointment) = web.get(&location).await;
    assert!(appointment.contains("Zora Zimmermann"), "{appointment}");

    // A refused booking keeps the chosen client chosen.
    let (status, _, page) = web
        .post(
            "/appointments",
            &[
                ("type_key", "individual"),
                ("clinician_id", clinician.as_str()),
                ("client_1", tara_01.as_str()),
                ("start", start.as_str()),
                ("outside_working_hours", "on"),
            ],
        )
        .await;
    assert_eq!(status, 422, "the time is taken");
    assert!(page.contains(&format!(
        "type=\"radio\" name=\"client_1\" value=\"{tara_01}\" checked"
    )));

    // The waitlist's picker works the same way.
    let (_, _, page) = web.get("/waitlist?client_q=zimm").await;
    assert!(offers(&page, "client_id", zora), "{page}");
    let (status, _, page) = web
        .post(
            "/waitlist",
            &[
                ("client_id", zora.as_str()),
                ("type_key", "individual"),
                ("priority", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Added to the waitlist."), "{page}");
    assert!(page.contains(&format!("href=\"/clients/{zora}\">Zora Zimmermann</a>")));

    // Every search was audited as a listing of the directory, with how much it showed.
    let details = t
        .query_text("SELECT detail FROM audit_log WHERE action = 'client.list' AND outcome = 'ok'")
        .await;
    assert!(
        details.iter().any(|d| d == "1 of 1 shown, 0 chosen"),
        "audit details: {details:?}"
    );
    t.finish().await;
}

async fn a_clinician_finds_only_clients_of_their_own_care_teams(b: Backend) {
    let t = TestApp::spawn(b).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let ids = practice(
        &t,
        &desk,
        0,
        &[("Mira Own", "1970-01-02"), ("Mira Other", "1971-03-04")],
    )
    .await;
    let (own, other) = (&ids[0], &ids[1]);
    t.app
        .assign_care_team(&desk.ctx(), own.parse().unwrap(), clin.id, "primary")
        .await
        .unwrap();
    let web = t.sign_in(&clin).await;
    let (status, _, page) = web.get("/appointments/new?client_q=mira").await;
    assert_eq!(status, 200);
    assert!(offers(&page, "client_1", own), "{page}");
    assert!(
        !offers(&page, "client_1", other),
        "another clinician's client is not offered"
    );
    assert!(page.contains("1 client matches “mira”."), "{page}");
    // A chosen id outside the clinician's scope is not named either.
    let (_, _, page) = web.get(&format!("/appointments/new?client={other}")).await;
    assert!(!page.contains("Mira Other"), "{page}");
    t.finish().await;
}

async fn the_group_roster_search_says_how_many_it_offers_with_dates_of_birth(b: Backend) {
    let t = TestApp::spawn(b).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    practice(&t, &desk, 60, &[]).await;
    let group = crate::groups::group(&t, &admin, 12, &[&clin]).await;
    let web = t.sign_in(&admin).await;
    let (status, _, page) = web.get(&format!("/groups/{group}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("60 clients: type part of a name to find one."),
        "{page}"
    );
    let (_, _, page) = web.get(&format!("/groups/{group}?q=client")).await;
    assert!(
        page.contains("Showing 50 of 60 clients matching “client”"),
        "{page}"
    );
    assert!(
        page.contains(">Client 000, born 1980-05-17</option>"),
        "{page}"
    );
    t.finish().await;
}
