//! Roster periods: `group_members` kept one row per (group, client), so a member who left could never come back.
//! `group_memberships` has one row per period with its own id; every existing row becomes that client's first
//! period, and the old table goes. At most one open period per client and group is enforced by a partial unique
//! index (SQLite and PostgreSQL both have them), beside the check in the use case.

use sea_orm_migration::sea_orm::{DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("group_memberships"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("group_id")))
                .col(uuid(n("client_id")))
                .col(date(n("joined_on")))
                .col(date_null(n("left_on")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_memberships"), n("group_id"))
                        .to(n("groups"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_memberships"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_memberships_group_client")
                .table(n("group_memberships"))
                .col(n("group_id"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_memberships_client")
                .table(n("group_memberships"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_group_memberships_open ON group_memberships (group_id, client_id) \
             WHERE left_on IS NULL",
        )
        .await?;
        // Each row gets a fresh id, made here rather than in SQL, where the two databases have no common way.
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT group_id, client_id, joined_on, left_on FROM group_members",
            ))
            .await?;
        for r in rows {
            let group: uuid::Uuid = r.try_get("", "group_id")?;
            let client: uuid::Uuid = r.try_get("", "client_id")?;
            let joined: chrono::NaiveDate = r.try_get("", "joined_on")?;
            let left: Option<chrono::NaiveDate> = r.try_get("", "left_on")?;
            let stmt = Query::insert()
                .into_table(n("group_memberships"))
                .columns([
                    n("id"),
                    n("group_id"),
                    n("client_id"),
                    n("joined_on"),
                    n("left_on"),
                ])
                .values_panic([
                    uuid::Uuid::now_v7().into(),
                    group.into(),
                    client.into(),
                    joined.into(),
                    left.into(),
                ])
                .to_owned();
            let (sql, values) = match backend {
                DbBackend::Postgres => stmt.build(PostgresQueryBuilder),
                _ => stmt.build(SqliteQueryBuilder),
            };
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
        m.drop_table(Table::drop().table(n("group_members")).to_owned())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::migration::Migrator;
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::sea_orm::{
        ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    };

    fn d(s: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    async fn insert(db: &DatabaseConnection, table: &str, cols: &[&str], values: Vec<SimpleExpr>) {
        let stmt = Query::insert()
            .into_table(Alias::new(table))
            .columns(cols.iter().map(|c| Alias::new(*c)))
            .values_panic(values)
            .to_owned();
        let backend = db.get_database_backend();
        let (sql, values) = match backend {
            DbBackend::Postgres => stmt.build(PostgresQueryBuilder),
            _ => stmt.build(SqliteQueryBuilder),
        };
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .unwrap();
    }

    /// Migrates up to the one before this, writes two roster rows, migrates on, and checks the periods.
    async fn every_roster_row_becomes_a_first_period(db: DatabaseConnection) {
        let backend = db.get_database_backend();
        // By name, not "all but the last": later migrations come after this one.
        let before = Migrator::migrations()
            .iter()
            .position(|m| m.name() == "m20261126_000018_group_membership_periods")
            .expect("this migration is registered") as u32;
        Migrator::up(&db, Some(before)).await.unwrap();
        // The roster rows alone: their groups and clients do not matter to this migration.
        db.execute_unprepared(match backend {
            DbBackend::Postgres => "SET session_replication_role = replica",
            _ => "PRAGMA foreign_keys = OFF",
        })
        .await
        .unwrap();
        let (g, a, b) = (
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7(),
        );
        let cols = ["group_id", "client_id", "joined_on", "left_on"];
        for (client, joined, left) in [
            (a, "2026-09-01", None),
            (b, "2026-09-02", Some("2026-10-01")),
        ] {
            let values = vec![
                g.into(),
                client.into(),
                d(joined).into(),
                left.map(d).into(),
            ];
            insert(&db, "group_members", &cols, values).await;
        }
        Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, group_id, client_id, joined_on, left_on FROM group_memberships ORDER BY joined_on",
            ))
            .await
            .unwrap();
        type Row = (
            uuid::Uuid,
            uuid::Uuid,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
        );
        let got: Vec<Row> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get("", "group_id").unwrap(),
                    r.try_get("", "client_id").unwrap(),
                    r.try_get("", "joined_on").unwrap(),
                    r.try_get("", "left_on").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (g, a, d("2026-09-01"), None),
                (g, b, d("2026-09-02"), Some(d("2026-10-01"))),
            ]
        );
        let ids: std::collections::HashSet<uuid::Uuid> = rows
            .iter()
            .map(|r| r.try_get::<uuid::Uuid>("", "id").unwrap())
            .collect();
        assert_eq!(ids.len(), 2, "each period has its own id");
        // A later period for the member who left is fine; a second open one for the member still there is refused
        // by the database too.
        let cols = ["id", "group_id", "client_id", "joined_on"];
        let new = |c: uuid::Uuid| {
            vec![
                uuid::Uuid::now_v7().into(),
                g.into(),
                c.into(),
                d("2026-11-01").into(),
            ]
        };
        insert(&db, "group_memberships", &cols, new(b)).await;
        let stmt = Query::insert()
            .into_table(Alias::new("group_memberships"))
            .columns(cols.iter().map(|c| Alias::new(*c)))
            .values_panic(new(a))
            .to_owned();
        let (sql, values) = match backend {
            DbBackend::Postgres => stmt.build(PostgresQueryBuilder),
            _ => stmt.build(SqliteQueryBuilder),
        };
        let again = db
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await;
        assert!(again.is_err(), "two open periods");
        assert!(
            db.query_all_raw(Statement::from_string(
                backend,
                "SELECT 1 FROM group_members"
            ))
            .await
            .is_err(),
            "the old table is gone"
        );
    }

    #[tokio::test]
    async fn on_sqlite_every_roster_row_becomes_a_first_period() {
        // One connection: each connection to `:memory:` is a database of its own.
        let mut opts = ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1).min_connections(1);
        every_roster_row_becomes_a_first_period(Database::connect(opts).await.unwrap()).await;
    }

    #[tokio::test]
    async fn on_postgres_every_roster_row_becomes_a_first_period() {
        // The test server of the HTTP tests (`RAPPORT_TEST_PG_URL`), in a database of this test's own.
        let admin = std::env::var("RAPPORT_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("rapport_m18_{}", uuid::Uuid::now_v7().simple());
        crate::execute_admin(&admin, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let url = match admin.rfind('/') {
            Some(i) => format!("{}/{name}", &admin[..i]),
            None => admin.clone(),
        };
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(1).min_connections(1);
        let db = Database::connect(opts).await.unwrap();
        every_roster_row_becomes_a_first_period(db.clone()).await;
        let _ = db.close().await;
        crate::execute_admin(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await
        .unwrap();
    }
}
