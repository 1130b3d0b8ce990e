//! The test harness: `TestApp::spawn(Backend)` boots the real server on a free port over a fresh SQLite file or
//! a fresh PostgreSQL database, and hands out users of each role with API tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod smtp;
pub use smtp::SmtpSink;

use rapport_app::accounts::NewAccount;
use rapport_app::{App, AppConfig, Ctx, Keyring};
use rapport_domain::{Actor, Role, UserId};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server for tests: `RAPPORT_TEST_PG_URL`, default the local trust-auth server's `test` database.
pub fn pg_admin_url() -> String {
    std::env::var("RAPPORT_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn pg_url_for(db: &str) -> String {
    let admin = pg_admin_url();
    match admin.rfind('/') {
        Some(i) => format!("{}/{db}", &admin[..i]),
        None => admin,
    }
}

/// The route of a server that connects to its database directly.
fn direct(url: &str) -> String {
    url.to_string()
}

/// A new, empty database: a SQLite file in `dir` (created), or a PostgreSQL database of its own (in
/// `pg_tablespace` if given). Returns its URL and, on PostgreSQL, its name for `drop_database`.
pub async fn empty_database(
    backend: Backend,
    dir: &std::path::Path,
    pg_tablespace: Option<&str>,
) -> (String, Option<String>) {
    std::fs::create_dir_all(dir).unwrap();
    match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.join("rapport.db").display()),
            None,
        ),
        Backend::Postgres => {
            let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
            let name = format!("rapport_t_{tag}");
            let placed = pg_tablespace
                .map(|t| format!(" TABLESPACE {t}"))
                .unwrap_or_default();
            rapport_store::execute_admin(
                &pg_admin_url(),
                &format!("CREATE DATABASE {name}{placed}"),
            )
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL at {} is needed for this test: {e}",
                    pg_admin_url()
                )
            });
            (pg_url_for(&name), Some(name))
        }
    }
}

/// Drops a PostgreSQL database made by `empty_database` (SQLite's file goes with its directory).
pub async fn drop_database(pg_database: Option<&str>) {
    if let Some(name) = pg_database {
        let _ = rapport_store::execute_admin(
            &pg_admin_url(),
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
    }
}

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub app: App,
    pub http: reqwest::Client,
    pub dir: PathBuf,
    pub database_url: String,
    /// The URL the server connects with: `database_url`, or the route to it a test chose (`spawn_routed`).
    server_url: String,
    pg_database: Option<String>,
    server: tokio::task::JoinHandle<()>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: UserId,
    pub email: String,
    pub roles: Vec<Role>,
    pub token: String,
}

impl TestUser {
    pub fn ctx(&self) -> Ctx {
        Ctx::new(Actor::staff(self.id, self.roles.clone()), None)
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, AppConfig::default()).await
    }

    /// Boots the server with its clock set to `at` (RFC 3339), from which it runs on: for a scene written around
    /// literal dates, so that it plays out the same on whatever day the suite runs. See `SCENE`.
    pub async fn spawn_at(backend: Backend, at: &str) -> TestApp {
        set_clock(at);
        Self::spawn(backend).await
    }

    pub async fn spawn_with(backend: Backend, config: AppConfig) -> TestApp {
        Self::spawn_configured(backend, config, rapport_web::WebConfig::default()).await
    }

    /// Boots the server with these edge settings (rate limits, trusted proxies, cookies).
    pub async fn spawn_web(backend: Backend, web: rapport_web::WebConfig) -> TestApp {
        Self::spawn_configured(backend, AppConfig::default(), web).await
    }

    /// Boots the server with its public address on `localhost` rather than `127.0.0.1`: WebAuthn needs a domain
    /// name as the relying party, and `localhost` is the one browsers accept over plain HTTP.
    pub async fn spawn_localhost(backend: Backend) -> TestApp {
        Self::spawn_named(
            backend,
            AppConfig::default(),
            rapport_web::WebConfig::default(),
            "localhost",
        )
        .await
    }

    async fn spawn_configured(
        backend: Backend,
        config: AppConfig,
        web: rapport_web::WebConfig,
    ) -> TestApp {
        Self::spawn_named(backend, config, web, "127.0.0.1").await
    }

    async fn spawn_named(
        backend: Backend,
        config: AppConfig,
        web: rapport_web::WebConfig,
        host: &str,
    ) -> TestApp {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let dir = std::env::temp_dir().join(format!("rapport-test-{tag}"));
        Self::spawn_placed(backend, config, web, dir, None, host, &direct).await
    }

    /// Boots the server connecting through `route(database_url)` (e.g. a proxy that a test can cut, or a list
    /// of hosts), while the test's own queries and `database_url` go straight to the database.
    pub async fn spawn_routed(
        backend: Backend,
        route: &(dyn Fn(&str) -> String + Sync),
    ) -> TestApp {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let dir = std::env::temp_dir().join(format!("rapport-test-{tag}"));
        Self::spawn_placed(
            backend,
            AppConfig::default(),
            rapport_web::WebConfig::default(),
            dir,
            None,
            "127.0.0.1",
            route,
        )
        .await
    }

    /// Boots the server with its files (SQLite database, keyring) in `dir`, and on PostgreSQL its database in
    /// `pg_tablespace`: for tests that need the data on a filesystem of their own (a small one that fills up).
    pub async fn spawn_in(backend: Backend, dir: PathBuf, pg_tablespace: Option<&str>) -> TestApp {
        Self::spawn_placed(
            backend,
            AppConfig::default(),
            rapport_web::WebConfig::default(),
            dir,
            pg_tablespace,
            "127.0.0.1",
            &direct,
        )
        .await
    }

    async fn spawn_placed(
        backend: Backend,
        config: AppConfig,
        web: rapport_web::WebConfig,
        dir: PathBuf,
        pg_tablespace: Option<&str>,
        host: &str,
        route: &(dyn Fn(&str) -> String + Sync),
    ) -> TestApp {
        let (database_url, pg_database) = empty_database(backend, &dir, pg_tablespace).await;
        let keyring = Keyring::create(&dir.join("keyring.json")).unwrap();
        let server_url = route(&database_url);
        let (base, server, shutdown, app) =
            Self::boot(&server_url, &keyring, config, web, host).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            backend,
            base,
            app,
            http,
            dir,
            database_url,
            server_url,
            pg_database,
            server,
            shutdown: Some(shutdown),
        }
    }

    /// Opens the app on `database_url` and serves it on a free port, its public address naming `host`.
    async fn boot(
        database_url: &str,
        keyring: &Keyring,
        config: AppConfig,
        web: rapport_web::WebConfig,
        host: &str,
    ) -> (
        String,
        tokio::task::JoinHandle<()>,
        tokio::sync::oneshot::Sender<()>,
        App,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{host}:{}", listener.local_addr().unwrap().port());
        let config = AppConfig {
            public_url: base.clone(),
            ..config
        };
        let app = App::open(database_url, keyring, config).await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let server = tokio::spawn(async move {
            let _ = rapport_web::serve(listener, served, web, async {
                let _ = rx.await;
            })
            .await;
        });
        (base, server, tx, app)
    }

    /// Stops the server cleanly and starts it again on the same database and keyring (on a new port): what
    /// survives is what was committed.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let keyring = Keyring::load(&self.dir.join("keyring.json")).unwrap();
        let host = self
            .base
            .trim_start_matches("http://")
            .rsplit_once(':')
            .map(|(h, _)| h.to_string())
            .unwrap_or_else(|| "127.0.0.1".into());
        let (base, server, shutdown, app) = Self::boot(
            &self.server_url,
            &keyring,
            AppConfig::default(),
            rapport_web::WebConfig::default(),
            &host,
        )
        .await;
        TestApp {
            base,
            server,
            shutdown: Some(shutdown),
            app,
            ..self
        }
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.server).await;
        self.app.clone().close().await;
    }

    /// Creates a user with these roles (and a personal API token) directly through the use cases.
    pub async fn user(&self, roles: &[Role]) -> TestUser {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
        let email = format!(
            "{}-{tag}@test.example",
            roles.first().map(|r| r.as_str()).unwrap_or("user")
        );
        let created = self
            .app
            .create_account(
                &Ctx::operator(),
                NewAccount {
                    email: email.clone(),
                    display_name: format!("Test {tag}"),
                    roles: roles.to_vec(),
                    password: Some(TEST_PASSWORD.into()),
                    time_zone: Some("Europe/Berlin".into()),
                },
            )
            .await
            .unwrap();
        let user = TestUser {
            id: created.id,
            email,
            roles: roles.to_vec(),
            token: String::new(),
        };
        let (token, _) = self
            .app
            .create_api_token(&user.ctx(), "tests", None)
            .await
            .unwrap();
        TestUser { token, ..user }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request as `who` (None: anonymous) and returns status, headers and the JSON body (Null if none).
    pub async fn call(
        &self,
        who: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<i32>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(u) = who {
            req = req.bearer_auth(&u.token);
        }
        if let Some(v) = if_match {
            req = req.header("if-match", format!("\"{v}\""));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
            text,
        }
    }

    pub async fn get(&self, who: &TestUser, path: &str) -> Reply {
        self.call(Some(who), Method::GET, path, None, None).await
    }

    pub async fn post(&self, who: &TestUser, path: &str, body: Value) -> Reply {
        self.call(Some(who), Method::POST, path, Some(body), None)
            .await
    }

    pub async fn put(&self, who: &TestUser, path: &str, version: i32, body: Value) -> Reply {
        self.call(Some(who), Method::PUT, path, Some(body), Some(version))
            .await
    }

    /// Signs `who` in through the pages (password, then enrolling an authenticator) and returns a cookie-keeping
    /// client with the session's CSRF token, for tests and benchmarks of the server-rendered pages.
    pub async fn sign_in(&self, who: &TestUser) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = http
            .post(self.url("/login"))
            .form(&[("email", who.email.as_str()), ("password", TEST_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "sign-in of {}", who.email);
        let page = http
            .get(self.url("/mfa/setup"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<");
        let totp = totp_rs::Builder::new()
            .with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap())
            .with_account_name("test".to_string())
            .build()
            .unwrap();
        let code = totp.generate_current().to_string();
        let csrf = between(&page, "name=\"_csrf\" value=\"", "\"");
        let r = http
            .post(self.url("/mfa/setup"))
            .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "TOTP enrolment of {}", who.email);
        // The session's token after sign-in (it is rotated with the session).
        let home = http
            .get(self.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = between(&home, "name=\"_csrf\" value=\"", "\"");
        Browser {
            http,
            csrf,
            base: self.base.clone(),
        }
    }

    /// Reads stored rows as text, to check what actually reached the database.
    pub async fn query_text(&self, sql: &str) -> Vec<String> {
        rapport_store::query_text(&self.database_url, sql)
            .await
            .unwrap()
    }

    /// The e-mails of one kind queued so far, oldest first, with their bodies opened as the mail worker opens
    /// them (bodies are sealed at rest, so SQL alone cannot read them).
    pub async fn mails(&self, kind: &str) -> Vec<Mail> {
        let keyring = Keyring::load(&self.dir.join("keyring.json")).unwrap();
        let store = rapport_store::Store::open(&self.database_url, &keyring)
            .await
            .unwrap();
        let rows = rapport_store::outbox::of_kind(store.db(), kind)
            .await
            .unwrap();
        let out = rows
            .iter()
            .map(|m| Mail {
                recipient: m.recipient.clone(),
                subject: m.subject.clone(),
                body: rapport_store::outbox::body(store.cipher(), m).unwrap(),
            })
            .collect();
        store.close().await;
        out
    }

    pub async fn execute(&self, sql: &str) {
        rapport_store::execute_admin(&self.database_url, sql)
            .await
            .unwrap()
    }

    /// Stops the server and removes the database and files.
    pub async fn finish(mut self) {
        self.stop().await;
        drop_database(self.pg_database.as_deref()).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The moment the scenes with literal dates were written for (the day their dates were chosen around): tests that
/// book, refer or record on fixed dates boot with `TestApp::spawn_at(b, SCENE)`, so "late", "past" and "future"
/// mean what they meant then. `scripts/check-test-dates` refuses literal dates near the run date elsewhere.
pub const SCENE: &str = "2026-11-26T12:00:00Z";

/// Sets the clock of this test process (the server's and the test's own `now()`) to `at`, RFC 3339.
pub fn set_clock(at: &str) {
    let at: chrono::DateTime<chrono::Utc> = at
        .parse()
        .unwrap_or_else(|e| panic!("test clock {at:?}: {e}"));
    rapport_app::clock::set(at);
}

/// Now, as the server sees it: the test clock when a test set it, else the system clock. Tests compute relative
/// dates from this, never from `chrono::Utc::now()`.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    rapport_app::clock::now_utc()
}

/// Today in UTC, as the server sees it.
pub fn today() -> chrono::NaiveDate {
    now().date_naive()
}

/// One queued e-mail, as `TestApp::mails` reads it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// The password of every user `TestApp::user` creates.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// The text between `start` and the next `end` in `html`.
pub fn between(html: &str, start: &str, end: &str) -> String {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page: {html}"))
        + start.len();
    let j = html[i..].find(end).unwrap() + i;
    html[i..j].to_string()
}

/// A signed-in browser session (cookie jar and CSRF token) for the staff pages.
pub struct Browser {
    pub http: reqwest::Client,
    pub csrf: String,
    base: String,
}

impl Browser {
    /// GET a page: status, headers and body.
    pub async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.text().await.unwrap())
    }

    /// POST a form with the session's CSRF token added: status, `Location` and body.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, location, r.text().await.unwrap())
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    pub fn etag(&self) -> i32 {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim_matches('"').parse().ok())
            .expect("an ETag header")
    }
}

/// A valid new-client body with a unique name.
pub fn client_body(name: &str) -> Value {
    serde_json::json!({
        "legal_name": name,
        "date_of_birth": "1988-03-14",
        "time_zone": "Europe/Berlin",
        "email": "client@example.org",
        "phone": "+49 30 1234567",
        "status": "active",
    })
}

/// Generates test functions for both backends: `both!(name, ...)` expects `async fn name(b: Backend)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}
