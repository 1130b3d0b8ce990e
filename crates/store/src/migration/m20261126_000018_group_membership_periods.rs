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
    use sea_orm_migration::sea_orm::{
        ConnectOptions, ConnectionTrait, Database, DbBackend, Statement,
    };

    #[tokio::test]
    async fn every_roster_row_becomes_a_first_period() {
        // One connection: each connection to `:memory:` is a database of its own.
        let mut opts = ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1).min_connections(1);
        let db = Database::connect(opts).await.unwrap();
        let before = Migrator::migrations().len() as u32 - 1;
        Migrator::up(&db, Some(before)).await.unwrap();
        // The roster rows alone: their groups and clients do not matter to this migration.
        db.execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
        let (g, a, b) = (
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7(),
        );
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        for (client, joined, left) in [
            (a, "2026-09-01", None),
            (b, "2026-09-02", Some("2026-10-01")),
        ] {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO group_members (group_id, client_id, joined_on, left_on) VALUES (?, ?, ?, ?)",
                [g.into(), client.into(), d(joined).into(), left.map(d).into()],
            ))
            .await
            .unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT id, group_id, client_id, joined_on, left_on FROM group_memberships ORDER BY joined_on",
            ))
            .await
            .unwrap();
        let got: Vec<(
            uuid::Uuid,
            uuid::Uuid,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
        )> = rows
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
        // A second open period for the same member is refused by the database too.
        let again = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO group_memberships (id, group_id, client_id, joined_on, left_on) VALUES (?, ?, ?, ?, NULL)",
                [uuid::Uuid::now_v7().into(), g.into(), a.into(), d("2026-11-01").into()],
            ))
            .await;
        assert!(again.is_err(), "two open periods");
        assert!(
            db.query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT 1 FROM group_members"
            ))
            .await
            .is_err(),
            "the old table is gone"
        );
    }
}
