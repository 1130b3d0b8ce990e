//! HTTP load generator for docs/BENCHMARKS.md: boots the real server on SQLite (or PostgreSQL with `--postgres`),
//! seeds what the scenario needs and measures it over loopback. Bounded in count.
//!
//! Scenarios (`--scenario`):
//! - `read` (default): authenticated client-profile reads (`GET /api/v1/clients/{id}`), each decrypting the
//!   clinical fields and appending an audit entry.
//! - `book`: concurrent bookings (`POST /api/v1/appointments`), each with its conflict check and audit entry; every
//!   worker books its own clinician and client at increasing times, so none conflicts.
//! - `week`: the clinic's week view (`GET /api/v1/appointments?from&to`) as an administrator, 50 clinicians and
//!   1,500 appointments in the week.
//! - `slots`: slot search (`GET /api/v1/slots`) over 200 clinicians and 28 days with about 60 % booked (`--days D`
//!   searches a shorter range of the same calendars).
//!
//! - `chart`: one client's chart (`GET /api/v1/clients/{id}/chart`) with ten years of weekly signed SOAP notes
//!   (520), each note's content decrypted for its excerpt.
//!
//! - `measures`: a clinician's caseload dashboard (`GET /measures` as a page, and its JSON) with 150 clients
//!   (`--clients N`) and two years of fortnightly PHQ-9 scores each (7,800 responses).
//!
//! `--phases` (week, slots, measures) also times the use case called in-process and the store's query alone (the
//! calendar query for `week`, the busy-time query of the first week for `slots`), to show where a request's time
//! goes.
//!
//! `cargo run --release -p rapport-testkit --bin rapport-bench -- [--scenario S] [--requests N] [--concurrency C]
//! [--postgres] [--phases]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use rapport_app::App;
use rapport_app::clients::ClientInput;
use rapport_app::scheduling::{BookingInput, CalendarQuery, SlotQueryInput};
use rapport_domain::scheduling::Interval;
use rapport_domain::{ClientId, Role, UserId};
use rapport_store::schedule::{self, RangeFilter};
use rapport_testkit::{Backend, TestApp, TestUser, client_body};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod measures;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn num(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Latencies of the successful requests of one run, the wall time, and the failures.
struct Stats {
    lat: Vec<Duration>,
    elapsed: Duration,
    errors: Vec<String>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        let i = ((self.lat.len() as f64 * p) as usize).min(self.lat.len().saturating_sub(1));
        self.lat.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    }

    fn print(&self, what: &str, concurrency: usize) {
        println!(
            "{what}: {} ok, {} failed, {concurrency} concurrent: {:.0}/s; latency p50 {:.2} ms, p99 {:.2} ms",
            self.lat.len(),
            self.errors.len(),
            self.lat.len() as f64 / self.elapsed.as_secs_f64(),
            self.pct(0.5),
            self.pct(0.99),
        );
        if let Some(e) = self.errors.first() {
            println!("  first failure: {e}");
        }
    }
}

/// Runs `total` calls of `f(worker, i)` on `concurrency` tasks, each task calling one after another.
async fn load<F, Fut>(total: usize, concurrency: usize, f: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let f = Arc::new(f);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let f = f.clone();
        let n = total / concurrency + usize::from(w < total % concurrency);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n);
            let mut errors = Vec::new();
            for i in 0..n {
                let s = Instant::now();
                match f(w, i).await {
                    Ok(()) => lat.push(s.elapsed()),
                    Err(e) => errors.push(e),
                }
            }
            (lat, errors)
        }));
    }
    let mut stats = Stats {
        lat: Vec::with_capacity(total),
        elapsed: Duration::ZERO,
        errors: Vec::new(),
    };
    for task in tasks {
        let (lat, errors) = task.await.unwrap();
        stats.lat.extend(lat);
        stats.errors.extend(errors);
    }
    stats.elapsed = start.elapsed();
    stats.lat.sort();
    stats
}

/// Sends a request and reads the whole body; anything but `want` is a failure.
async fn send(req: reqwest::RequestBuilder, want: u16) -> Result<(), String> {
    let r = req.send().await.map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    if status == want {
        Ok(())
    } else {
        Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// Runs `f` on each item, on `tasks` tasks at once (seeding through the use cases).
async fn in_parallel<T, F, Fut>(items: Vec<T>, tasks: usize, f: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let mut lanes: Vec<Vec<T>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        lanes[i % tasks].push(item);
    }
    let mut set = tokio::task::JoinSet::new();
    for lane in lanes {
        let f = f.clone();
        set.spawn(async move {
            for item in lane {
                f(item).await;
            }
        });
    }
    set.join_all().await;
}

/// A small deterministic generator (SplitMix64): the same calendars on every run.
struct Rng(u64);

impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

async fn new_client(app: &App, owner: &TestUser, name: &str) -> ClientId {
    let input: ClientInput = serde_json::from_value(client_body(name)).unwrap();
    app.create_client(&owner.ctx(), input).await.unwrap().id
}

fn individual(clinician: &TestUser, client: ClientId, start: String) -> BookingInput {
    BookingInput {
        type_key: "individual".into(),
        clinician_id: clinician.id,
        client_ids: vec![client],
        start,
        time_zone: None,
        mode: None,
        room_id: None,
        group_id: None,
        rrule: None,
        outside_working_hours: false,
    }
}

async fn count_appointments(t: &TestApp) -> usize {
    let rows = t
        .query_text("SELECT CAST(COUNT(*) AS TEXT) FROM appointments")
        .await;
    rows.first().and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// After seeding, brings PostgreSQL's planner statistics up to date, as autovacuum does in a running practice
/// within a minute; without them it plans the freshly filled tables as if they were nearly empty. (SQLite keeps no
/// statistics unless asked, in the bench as in production.)
async fn analyze(t: &TestApp) {
    if t.backend == Backend::Postgres {
        rapport_store::execute_admin(&t.database_url, "ANALYZE")
            .await
            .unwrap();
    }
}

/// Authenticated client-profile reads, each audited.
async fn read(t: &TestApp, requests: usize, concurrency: usize) {
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Bench Example");
    body["clinical_notes"] = json!("A paragraph of clinical notes. ".repeat(20));
    let id = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = t.url(&format!("/api/v1/clients/{id}"));
    // Warm-up: connection pools, caches.
    for _ in 0..50 {
        send(t.http.get(&url).bearer_auth(&clin.token), 200)
            .await
            .unwrap();
    }
    let http = t.http.clone();
    let reader = clin.clone();
    let stats = load(requests, concurrency, move |_, _| {
        send(http.get(&url).bearer_auth(&reader.token), 200)
    })
    .await;
    stats.print("authenticated client reads", concurrency);
    // The ceiling: the same server, client and concurrency answering `/healthz`, which does nothing.
    let (http, health) = (t.http.clone(), t.url("/healthz"));
    let ceiling = load(requests, concurrency, move |_, _| {
        send(http.get(&health), 200)
    })
    .await;
    ceiling.print("/healthz (ceiling)", concurrency);
    // No figure counts unless every answered read left its audit entry and the chain verifies.
    let reads: usize = t
        .query_text("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'client.read'")
        .await
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let report = t.app.verify_audit().await.unwrap();
    println!(
        "audit: {reads} client.read entries for {} answered reads (50 warm-up + {}); chain intact: {}",
        50 + stats.lat.len(),
        stats.lat.len(),
        report.first_broken.is_none()
    );
    assert_eq!(
        reads,
        50 + stats.lat.len(),
        "every answered read is audited"
    );
    assert!(report.first_broken.is_none(), "{report:?}");
}

/// Concurrent bookings through the API, then a check that exactly the acknowledged ones were stored.
async fn book(t: &TestApp, requests: usize, concurrency: usize) {
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let clin = t.user(&[Role::Clinician]).await;
        let client = t
            .post(
                &clin,
                "/api/v1/clients",
                client_body(&format!("Booker {w}")),
            )
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        workers.push((clin, client));
    }
    for (clin, _) in &workers {
        send(
            t.http
                .get(t.url("/api/v1/appointment-types"))
                .bearer_auth(&clin.token),
            200,
        )
        .await
        .unwrap();
    }
    let before = count_appointments(t).await;
    let (http, url) = (t.http.clone(), t.url("/api/v1/appointments"));
    let first = NaiveDate::from_ymd_opt(2027, 2, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let stats = load(requests, concurrency, move |w, i| {
        // Hour after hour, day and night (outside working hours on purpose): 53 + 7 minutes fit in each hour.
        let (clin, client) = &workers[w];
        let start = first + TimeDelta::hours(i as i64);
        let body = json!({
            "type_key": "individual", "clinician_id": clin.id, "client_ids": [client],
            "start": start.format("%Y-%m-%dT%H:%M").to_string(), "time_zone": "UTC",
            "outside_working_hours": true,
        });
        send(http.post(&url).bearer_auth(&clin.token).json(&body), 201)
    })
    .await;
    stats.print("bookings", concurrency);
    let stored = count_appointments(t).await - before;
    println!(
        "appointments stored: {stored}, bookings acknowledged: {} ({})",
        stats.lat.len(),
        if stored == stats.lat.len() {
            "equal"
        } else {
            "DIFFERENT"
        }
    );
}

/// The week view for an administrator: 50 clinicians, 30 sessions each in one week.
async fn week(t: &TestApp, requests: usize, phases: bool) {
    let monday = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    let seeding = Instant::now();
    let mut clinicians = Vec::new();
    for _ in 0..50 {
        clinicians.push(t.user(&[Role::Clinician]).await);
    }
    let app = t.app.clone();
    in_parallel(clinicians, 2, move |clin| {
        let app = app.clone();
        async move {
            // Monday to Friday, 09, 10, 11, 13, 14 and 15 o'clock (Berlin), each session with a client of its own.
            for k in 0..30usize {
                let client = new_client(&app, &clin, &format!("Weekly Client {k}")).await;
                let day = monday + TimeDelta::days((k / 6) as i64);
                let hour = [9, 10, 11, 13, 14, 15][k % 6];
                let b = individual(&clin, client, format!("{day}T{hour:02}:00"));
                app.book(&clin.ctx(), b).await.unwrap();
            }
        }
    })
    .await;
    analyze(t).await;
    println!(
        "seeded 50 clinicians, 1,500 clients and {} appointments in {:.1} s",
        count_appointments(t).await,
        seeding.elapsed().as_secs_f64()
    );
    let admin = t.user(&[Role::Admin]).await;
    let (from, to) = (
        monday.to_string(),
        (monday + TimeDelta::days(7)).to_string(),
    );
    let path = format!("/api/v1/appointments?from={from}&to={to}");
    let reply = t.get(&admin, &path).await;
    reply.expect(200);
    println!(
        "week view: {} appointments, {} KiB of JSON",
        reply.json.as_array().map_or(0, Vec::len),
        reply.text.len() / 1024
    );
    let (http, url, token) = (t.http.clone(), t.url(&path), admin.token.clone());
    for _ in 0..10 {
        send(http.get(&url).bearer_auth(&token), 200).await.unwrap();
    }
    load(requests, 1, move |_, _| {
        send(http.get(&url).bearer_auth(&token), 200)
    })
    .await
    .print("week view over HTTP", 1);
    let empty = t.url("/api/v1/appointments?from=2027-03-01&to=2027-03-08");
    let (http, token) = (t.http.clone(), admin.token.clone());
    load(requests, 1, move |_, _| {
        send(http.get(&empty).bearer_auth(&token), 200)
    })
    .await
    .print("empty week over HTTP (fixed cost)", 1);
    if phases {
        let q = CalendarQuery {
            from,
            to,
            ..Default::default()
        };
        let (app, ctx) = (t.app.clone(), admin.ctx());
        load(requests, 1, move |_, _| {
            let (app, ctx, q) = (app.clone(), ctx.clone(), q.clone());
            async move {
                app.calendar(&ctx, &q)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .await
        .print("phase: calendar use case in-process", 1);
        let start = monday.and_hms_opt(0, 0, 0).unwrap().and_utc();
        range_query(
            t,
            requests,
            Interval::from_duration(start, TimeDelta::days(7)),
            None,
        )
        .await;
    }
}

/// The store's calendar query alone (the week view's one query, with participants' names), on a connection of
/// its own.
async fn range_query(t: &TestApp, requests: usize, range: Interval, f: Option<RangeFilter>) {
    let (db, _) = rapport_store::connect(&t.database_url).await.unwrap();
    let (db, f) = (Arc::new(db), Arc::new(f.unwrap_or_default()));
    load(requests, 1, move |_, _| {
        let (db, f) = (db.clone(), f.clone());
        async move {
            let rows = rapport_store::calendar::entries(&*db, range, &f).await;
            rows.map(|_| ()).map_err(|e| e.to_string())
        }
    })
    .await
    .print("phase: store calendar query", 1);
}

/// The store's busy-time query alone (what slot search reads), on a connection of its own.
async fn busy_query(t: &TestApp, requests: usize, range: Interval, clinicians: Vec<UserId>) {
    let (db, _) = rapport_store::connect(&t.database_url).await.unwrap();
    let (db, clinicians) = (Arc::new(db), Arc::new(clinicians));
    load(requests, 1, move |_, _| {
        let (db, clinicians) = (db.clone(), clinicians.clone());
        async move {
            let rows = schedule::busy_times(&*db, &clinicians, range).await;
            rows.map(|_| ()).map_err(|e| e.to_string())
        }
    })
    .await
    .print("phase: store busy-time query", 1);
}

/// Slot search: 200 clinicians in four zones, weekdays 09:00-17:00, about 60 % booked over 28 days.
async fn slots(t: &TestApp, requests: usize, days: i64, phases: bool) {
    let today = Utc::now().date_naive();
    let monday = today + TimeDelta::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let zones = [
        "Europe/Berlin",
        "Europe/London",
        "America/New_York",
        "Europe/Helsinki",
    ];
    let seeding = Instant::now();
    let hours: Vec<Value> = ["Mon", "Tue", "Wed", "Thu", "Fri"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "09:00:00", "end": "17:00:00"}))
        .collect();
    let mut clinicians = Vec::new();
    for i in 0..200 {
        let clin = t.user(&[Role::Clinician]).await;
        let path = format!("/api/v1/clinicians/{}", clin.id);
        let v = t.get(&clin, &path).await.etag();
        let profile = json!({"time_zone": zones[i % zones.len()], "weekly_hours": hours,
            "accepts_new_clients": true, "languages": ["en"]});
        t.put(&clin, &path, v, profile).await.expect(200);
        let client = new_client(&t.app, &clin, &format!("Slot Client {i}")).await;
        clinicians.push((clin, client));
    }
    // Each working hour of the first week is booked with probability 0.6 as a weekly series of four sessions.
    let mut rng = Rng(0x5107);
    let mut series = Vec::new();
    for (clin, client) in &clinicians {
        for day in 0..5 {
            for hour in 9..17 {
                if rng.chance(0.6) {
                    let start = format!("{}T{hour:02}:00", monday + TimeDelta::days(day));
                    let mut b = individual(clin, *client, start);
                    b.rrule = Some("FREQ=WEEKLY;COUNT=4".into());
                    series.push((clin.ctx(), b));
                }
            }
        }
    }
    let app = t.app.clone();
    in_parallel(series, 2, move |(ctx, b)| {
        let app = app.clone();
        async move {
            app.book(&ctx, b).await.unwrap();
        }
    })
    .await;
    analyze(t).await;
    println!(
        "seeded 200 clinicians and {} appointments (of 200 x 20 x 8 = 32,000 working hours) in {:.1} s",
        count_appointments(t).await,
        seeding.elapsed().as_secs_f64()
    );
    let desk = t.user(&[Role::Scheduler]).await;
    let path = format!("/api/v1/slots?type_key=individual&from={monday}&days={days}&limit=20");
    let reply = t.get(&desk, &path).await;
    reply.expect(200);
    let found = reply.json.as_array().map_or(0, Vec::len);
    println!(
        "slot search from {monday} over {days} days: {found} slots, first {}",
        reply.json[0]["start"]
    );
    let (http, url, token) = (t.http.clone(), t.url(&path), desk.token.clone());
    for _ in 0..10 {
        send(http.get(&url).bearer_auth(&token), 200).await.unwrap();
    }
    load(requests, 1, move |_, _| {
        send(http.get(&url).bearer_auth(&token), 200)
    })
    .await
    .print("slot search over HTTP", 1);
    if phases {
        let q = SlotQueryInput {
            type_key: "individual".into(),
            from: Some(monday.to_string()),
            days: Some(days),
            limit: Some(20),
            ..Default::default()
        };
        let (app, ctx) = (t.app.clone(), desk.ctx());
        load(requests, 1, move |_, _| {
            let (app, ctx, q) = (app.clone(), ctx.clone(), q.clone());
            async move {
                app.find_slots(&ctx, &q)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .await
        .print("phase: slot-search use case in-process", 1);
        // The use case reads the first week first (and all `days` only when that is not enough).
        let start = monday.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let range = Interval::from_duration(start, TimeDelta::days(days.min(7)));
        busy_query(
            t,
            requests,
            range,
            clinicians.iter().map(|(c, _)| c.id).collect(),
        )
        .await;
    }
}

async fn chart(t: &TestApp, requests: usize) {
    let seeding = Instant::now();
    let clin = t.user(&[Role::Clinician]).await;
    let client = new_client(&t.app, &clin, "Chart Client").await;
    let start = NaiveDate::from_ymd_opt(2016, 1, 4).unwrap();
    let paragraph = "The client described the week in detail, including sleep, work, family contact and the \
        homework agreed last time; mood was reported as somewhat better with fewer early awakenings. ";
    for week in 0..520i64 {
        let date = start + TimeDelta::days(7 * week);
        let fields = [
            ("subjective", paragraph.repeat(3)),
            (
                "objective",
                "Calm, engaged, good eye contact; affect congruent.".to_string(),
            ),
            ("assessment", paragraph.repeat(2)),
            (
                "plan",
                "Continue weekly; review homework; PHQ-9 next session.".to_string(),
            ),
            ("risk_level", "low".to_string()),
        ];
        let input = rapport_app::notes::NewNote {
            template: "progress_soap".into(),
            service_date: Some(date.to_string()),
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ..Default::default()
        };
        let n = t.app.create_note(&clin.ctx(), client, input).await.unwrap();
        t.app.sign_note(&clin.ctx(), n.id, n.version).await.unwrap();
    }
    println!(
        "seeded 520 signed weekly notes in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let path = format!("/api/v1/clients/{client}/chart");
    let reply = t.get(&clin, &path).await;
    reply.expect(200);
    println!(
        "chart: {} entries, {} KiB of JSON",
        reply.json["entries"].as_array().map_or(0, Vec::len),
        reply.text.len() / 1024
    );
    let (http, url, token) = (t.http.clone(), t.url(&path), clin.token.clone());
    for _ in 0..10 {
        send(http.get(&url).bearer_auth(&token), 200).await.unwrap();
    }
    load(requests, 1, move |_, _| {
        send(http.get(&url).bearer_auth(&token), 200)
    })
    .await
    .print("chart of 520 notes over HTTP", 1);
}

#[tokio::main]
async fn main() {
    let scenario = arg("--scenario").unwrap_or_else(|| "read".into());
    let backend = if flag("--postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let phases = flag("--phases");
    let t = TestApp::spawn(backend).await;
    println!("{backend:?}, scenario {scenario}");
    match scenario.as_str() {
        "read" => read(&t, num("--requests", 5000), num("--concurrency", 16).max(1)).await,
        "book" => book(&t, num("--requests", 5000), num("--concurrency", 16).max(1)).await,
        "week" => week(&t, num("--requests", 200), phases).await,
        "slots" => {
            let days = num("--days", 28) as i64;
            slots(&t, num("--requests", 200), days, phases).await
        }
        "chart" => chart(&t, num("--requests", 200)).await,
        "measures" => {
            measures::run(&t, num("--requests", 200), num("--clients", 150), phases).await
        }
        other => {
            panic!("unknown scenario '{other}': use read, book, week, slots, chart or measures")
        }
    }
    let report = t.app.verify_audit().await.unwrap();
    println!(
        "audit chain: {} entries, intact: {}",
        report.entries,
        report.first_broken.is_none()
    );
    t.finish().await;
}
