//! The `rapport` command: serve the practice, and the operator's tools (accounts, demo data, audit verification,
//! key rotation, backup and restore). Every failure ends in one plain sentence on stderr and a non-zero exit, never a backtrace.

mod backup;
mod setup;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rapport_app::domain::Role;
use rapport_app::{App, Ctx};
use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rapport",
    version,
    about = "Practice and clinical records for psychotherapists"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Where the SQLite database, the keyring and backups live.
    #[arg(
        long,
        global = true,
        env = "RAPPORT_DATA_DIR",
        default_value = "rapport-data"
    )]
    pub data_dir: PathBuf,
    /// A database URL (sqlite://… or postgres://…); the default is SQLite in the data directory.
    #[arg(long, global = true, env = "RAPPORT_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Fill an empty database with a demo practice.
    Demo {
        /// How many fictitious clients to create.
        #[arg(long, default_value_t = 240)]
        clients: usize,
    },
    /// Audit log tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Encryption key tools.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Take an encrypted, consistent backup while the server runs (or check one with --verify).
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data directory or an empty PostgreSQL database.
    Restore(backup::RestoreArgs),
    /// Print the JSON API's OpenAPI 3.1 document (also served at /api/v1/openapi.json).
    Openapi,
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "RAPPORT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed the demo practice first, if the database is empty.
    #[arg(long)]
    demo: bool,
    /// Set when users reach Rapport over HTTPS (directly or through a TLS proxy): cookies become Secure.
    #[arg(long, env = "RAPPORT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// A proxy in front of Rapport (address or CIDR, e.g. 127.0.0.1/32) whose X-Forwarded-For names the client;
    /// repeat for several. Without it, the header is ignored (anyone can write it).
    #[arg(long = "trusted-proxy", env = "RAPPORT_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "RAPPORT_IDLE_TIMEOUT_MINUTES", default_value_t = 30)]
    idle_timeout_minutes: u64,
    /// Hours after sign-in after which a session ends regardless of activity.
    #[arg(long, env = "RAPPORT_ABSOLUTE_TIMEOUT_HOURS", default_value_t = 12)]
    absolute_timeout_hours: u64,
    /// SMTP server for reminders, e.g. smtp://mail.example.org:587?tls=required (user:password@ for auth).
    /// Without it, reminders wait in the outbox.
    #[arg(long, env = "RAPPORT_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender address of reminders.
    #[arg(
        long,
        env = "RAPPORT_MAIL_FROM",
        default_value = "Rapport <no-reply@localhost>"
    )]
    mail_from: String,
    /// The address people use to reach Rapport, for links in e-mails (questionnaires, booking, alerts).
    #[arg(long, env = "RAPPORT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds between runs of the background worker (scheduled questionnaires, alert escalation, the outbox).
    #[arg(long, env = "RAPPORT_WORKER_INTERVAL_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    worker_interval_seconds: u64,
    /// Take scheduled backups into this directory (the first at start), sealed like `rapport backup`'s.
    #[arg(long, env = "RAPPORT_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Minutes between scheduled backups.
    #[arg(long, env = "RAPPORT_BACKUP_EVERY_MINUTES", default_value_t = 1440, value_parser = clap::value_parser!(u64).range(1..=10080))]
    backup_every_minutes: u64,
    /// How many scheduled backups to keep in --backup-dir; older ones are deleted after each new one.
    #[arg(long, env = "RAPPORT_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=10000))]
    backup_keep: u64,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account. The password is read from standard input when it is not a terminal; otherwise a
    /// one-time password is generated and printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, clinician, supervisor, scheduler or billing; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// IANA time zone for clinicians.
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Issue a new one-time password (and, with --reset-mfa, remove the authenticator).
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        reset_mfa: bool,
    },
    /// Disable an account and end its sessions and API tokens.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Set an account's roles (nobody changes their own in the application; an operator can). Audited.
    Roles {
        #[arg(long)]
        email: String,
        /// admin, clinician, supervisor, scheduler or billing; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain; exits non-zero and names the first broken entry if it is not intact.
    Verify {
        /// A line printed by `rapport audit checkpoint` (kept outside the database): also prove that nothing it
        /// saw was removed or changed since.
        #[arg(long)]
        checkpoint: Option<String>,
    },
    /// Print a signed checkpoint of the audit chain. Keep it somewhere the database's administrators cannot
    /// change (another machine, a ticket, paper): `audit verify --checkpoint` then proves the log was not cut back.
    Checkpoint,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Re-wrap all data keys under a new key-encryption key and start a new data key.
    Rotate,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(
                    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn",
                )
            }),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(&cli.db, args).await,
        Command::Openapi => {
            println!("{:#}", rapport_web::api::openapi::build());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let app = setup::open(&cli.db, setup::Init::Allowed, Default::default()).await?;
            println!("The database is up to date.");
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin(cmd) => admin(&cli.db, cmd).await,
        Command::Backup(args) => backup::run(&cli.db, args).await,
        Command::Restore(args) => backup::restore(&cli.db, args).await,
        Command::Demo { clients } => {
            let app = setup::open(&cli.db, setup::Init::Allowed, Default::default()).await?;
            seed_demo(&app, clients).await?;
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            let app = setup::open(&cli.db, setup::Init::Refused, Default::default()).await?;
            let line = app
                .audit_checkpoint()
                .await
                .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)));
            app.close().await;
            println!("{}", line?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify { checkpoint }) => {
            let app = setup::open(&cli.db, setup::Init::Refused, Default::default()).await?;
            let report = match &checkpoint {
                Some(line) => app.verify_audit_against(line).await,
                None => app.verify_audit().await,
            }
            .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)));
            app.close().await;
            let report = report?;
            match report.first_broken {
                None => {
                    println!("The audit chain is intact ({} entries).", report.entries);
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    // 0: what is broken is a chain's head or a checkpoint's entry, not an entry in the log.
                    let at = if seq == 0 {
                        String::new()
                    } else {
                        format!(" at entry {seq}")
                    };
                    eprintln!(
                        "The audit chain is broken{at}: {why}. {} entries checked before it verify.",
                        report.entries
                    );
                    Ok(ExitCode::from(3))
                }
            }
        }
        Command::Keys(KeysCommand::Rotate) => {
            let (app, mut keyring) = setup::open_with_keyring(&cli.db).await?;
            let r = app
                .rotate_keys(&mut keyring)
                .await
                .context("key rotation failed")?;
            app.close().await;
            println!(
                "Rotated: {} data key(s) re-wrapped under {}; new writes use data key {}; the audit chain continues with audit key {} (the old ones stay, to verify what they signed). Back up {} now; a running server must be restarted.",
                r.rewrapped,
                r.new_kek_id,
                r.new_data_key_id,
                r.new_audit_key_id,
                keyring.path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn seed_demo(app: &App, clients: usize) -> Result<()> {
    let s = app
        .seed_demo(clients)
        .await
        .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)))?;
    println!(
        "Demo practice created: {} clients ({} minors). Every account's password is \"{}\";",
        s.clients,
        s.minors,
        rapport_app::demo::DEMO_PASSWORD
    );
    println!("each sets up two-step sign-in (an authenticator app) at first sign-in. Accounts:");
    for (email, who) in s.staff {
        println!("  {email:<44} {who}");
    }
    println!("Client portal (/portal/login, same password, no second step):");
    for (email, who) in s.portal {
        println!("  {email:<44} {who}");
    }
    Ok(())
}

async fn serve(db: &DbArgs, args: ServeArgs) -> Result<ExitCode> {
    let defaults = rapport_app::AppConfig::default();
    let config = rapport_app::AppConfig {
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout_minutes.max(1) * 60),
        absolute_timeout: std::time::Duration::from_secs(args.absolute_timeout_hours.max(1) * 3600),
        public_url: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen)),
        // Nothing is sent in a demo without SMTP, so the demo shows what would have been.
        demo_mailbox: args.demo && args.smtp_url.is_none(),
        ..defaults
    };
    // Without an SMTP server the worker still runs the measure jobs; their e-mails wait in the outbox.
    let mailer = match &args.smtp_url {
        Some(url) => Some(
            rapport_app::mail::Mailer::new(&rapport_app::mail::MailConfig {
                smtp_url: url.clone().into(),
                from: args.mail_from.clone(),
            })
            .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)))?,
        ),
        None => None,
    };
    let app = setup::open(db, setup::Init::Allowed, config).await?;
    if args.demo
        && app
            .has_no_accounts()
            .await
            .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)))?
    {
        seed_demo(&app, 240).await?;
    }
    if app
        .has_no_accounts()
        .await
        .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)))?
    {
        println!("No accounts yet. Create the first administrator with:");
        println!(
            "  rapport admin create --email you@example.org --name \"Your Name\" --role admin"
        );
        println!("(or start with --demo to try Rapport with a demo practice).");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!("Rapport is listening on http://{}", args.listen);
    let web = rapport_web::WebConfig {
        secure_cookies: args.secure_cookies,
        trusted_proxies: args.trusted_proxies.clone(),
        ..Default::default()
    };
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(app.clone().run_outbox(
        mailer,
        std::time::Duration::from_secs(args.worker_interval_seconds),
        async move {
            let _ = worker_stopped.await;
        },
    ));
    let (stop_backups, backups_stopped) = tokio::sync::oneshot::channel::<()>();
    let backups = args.backup_dir.clone().map(|dir| {
        let schedule = backup::Schedule {
            dir,
            every: std::time::Duration::from_secs(args.backup_every_minutes * 60),
            keep: usize::try_from(args.backup_keep).unwrap_or(usize::MAX),
        };
        tokio::spawn(backup::schedule(db.clone(), schedule, async move {
            let _ = backups_stopped.await;
        }))
    });
    let served = rapport_web::serve(listener, app.clone(), web, shutdown_signal()).await;
    let _ = stop_worker.send(());
    let _ = stop_backups.send(());
    let _ = worker.await;
    if let Some(b) = backups {
        let _ = b.await;
    }
    served.context("the server stopped")?;
    app.close().await;
    println!("Rapport stopped.");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down; finishing requests in flight");
}

async fn admin(db: &DbArgs, cmd: AdminCommand) -> Result<ExitCode> {
    let ctx = Ctx::operator();
    match cmd {
        AdminCommand::Create {
            email,
            name,
            roles,
            time_zone,
        } => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)))?;
            let password = read_password_from_stdin()?;
            let app = setup::open(db, setup::Init::Allowed, Default::default()).await?;
            let created = app
                .create_account(
                    &ctx,
                    rapport_app::accounts::NewAccount {
                        email: email.clone(),
                        display_name: name,
                        roles,
                        password,
                        time_zone,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)));
            app.close().await;
            let created = created?;
            println!("Created account {email} (id {}).", created.id);
            if let Some(otp) = created.one_time_password {
                println!("One-time password: {otp}");
                println!(
                    "It must be changed at the first sign-in, where two-step sign-in is also set up."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ResetPassword { email, reset_mfa } => {
            let app = setup::open(db, setup::Init::Refused, Default::default()).await?;
            let r = async {
                let acct = app.account_by_email(&ctx, &email).await?;
                app.reset_password(&ctx, acct.id, reset_mfa).await
            }
            .await
            .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)));
            app.close().await;
            println!("New one-time password for {email}: {}", r?);
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Disable { email } => {
            let app = setup::open(db, setup::Init::Refused, Default::default()).await?;
            let r = async {
                let acct = app.account_by_email(&ctx, &email).await?;
                app.set_account_disabled(&ctx, acct.id, true).await
            }
            .await
            .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)));
            app.close().await;
            r?;
            println!("Disabled {email}; its sessions and API tokens have ended.");
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Roles { email, roles } => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)))?;
            let app = setup::open(db, setup::Init::Refused, Default::default()).await?;
            let r = async {
                let acct = app.account_by_email(&ctx, &email).await?;
                app.set_roles(&ctx, acct.id, roles.clone()).await
            }
            .await
            .map_err(|e| anyhow::anyhow!("{}", setup::describe(&e)));
            app.close().await;
            r?;
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            println!("{email} now has the roles: {}.", names.join(", "));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A proxy's address (a single host) or network, for `--trusted-proxy`.
fn parse_proxy(s: &str) -> std::result::Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{s}' is not an address or a network such as 127.0.0.1/32"))
}

/// One line from standard input when it is piped; `None` (generate a one-time password) at a terminal.
fn read_password_from_stdin() -> Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    // Nothing piped in (e.g. /dev/null): fall back to a generated one-time password.
    Ok(Some(pw).filter(|p| !p.is_empty()))
}
