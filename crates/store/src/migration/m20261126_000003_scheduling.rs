//! Scheduling: locations and rooms, appointment types (seeded with the defaults), practice settings, series,
//! appointments with their clients and history, and availability exceptions.

use rapport_domain::scheduling::appointment::default_types;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn idx(name_: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name_).table(name(table));
    for c in cols {
        i.col(name(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        m.create_table(
            Table::create()
                .table(n("locations"))
                .col(uuid(n("id")).primary_key())
                .col(text(n("name")))
                .col(text(n("time_zone")))
                .col(text_null(n("address")))
                .col(tstz("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("rooms"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("location_id")))
                .col(text(n("name")))
                .col(integer(n("capacity")))
                .col(boolean(n("active")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("rooms"), n("location_id"))
                        .to(n("locations"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("appointment_types"))
                .col(text(n("key")).primary_key())
                .col(text(n("label")))
                .col(text(n("kind")))
                .col(integer(n("minutes")))
                .col(integer(n("buffer_before_minutes")))
                .col(integer(n("buffer_after_minutes")))
                .col(text(n("modes")))
                .col(text_null(n("service_code")))
                .col(boolean(n("active")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("settings"))
                .col(text(n("key")).primary_key())
                .col(text(n("value")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("series"))
                .col(uuid(n("id")).primary_key())
                .col(text(n("rule")))
                .col(text(n("start_local")))
                .col(text(n("time_zone")))
                .col(uuid(n("clinician_id")))
                .col(text(n("type_key")))
                .col(uuid_null(n("previous_series_id")))
                .col(tstz("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("appointments"))
                .col(uuid(n("id")).primary_key())
                .col(uuid_null(n("series_id")))
                .col(integer_null(n("occurrence_index")))
                .col(text(n("type_key")))
                .col(text(n("kind")))
                .col(text(n("mode")))
                .col(text(n("status")))
                .col(uuid(n("clinician_id")))
                .col(uuid_null(n("room_id")))
                .col(uuid_null(n("group_id")))
                .col(tstz("start_at"))
                .col(tstz("end_at"))
                .col(tstz("busy_start"))
                .col(tstz("busy_end"))
                .col(text(n("time_zone")))
                .col(blob_null(n("cancel_reason")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(integer(n("version")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("appointments"), n("clinician_id"))
                        .to(n("users"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("appointments"), n("series_id"))
                        .to(n("series"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "idx_appointments_clinician_busy",
            "appointments",
            &["clinician_id", "busy_start"],
        ))
        .await?;
        m.create_index(idx(
            "idx_appointments_room_busy",
            "appointments",
            &["room_id", "busy_start"],
        ))
        .await?;
        m.create_index(idx(
            "idx_appointments_busy",
            "appointments",
            &["busy_start"],
        ))
        .await?;
        m.create_index(idx(
            "idx_appointments_series",
            "appointments",
            &["series_id", "occurrence_index"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(n("appointment_clients"))
                .col(uuid(n("appointment_id")))
                .col(uuid(n("client_id")))
                .primary_key(Index::create().col(n("appointment_id")).col(n("client_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("appointment_clients"), n("appointment_id"))
                        .to(n("appointments"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("appointment_clients"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "idx_appointment_clients_client",
            "appointment_clients",
            &["client_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(n("appointment_history"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("appointment_id")))
                .col(tstz("at"))
                .col(uuid_null(n("actor_id")))
                .col(text(n("change")))
                .col(tstz_null_col("from_start"))
                .col(tstz_null_col("to_start"))
                .col(text_null(n("from_status")))
                .col(text_null(n("to_status")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("appointment_history"), n("appointment_id"))
                        .to(n("appointments"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "idx_appointment_history_appointment",
            "appointment_history",
            &["appointment_id", "at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(n("availability_exceptions"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("clinician_id")))
                .col(text(n("kind")))
                .col(tstz("start_at"))
                .col(tstz("end_at"))
                .col(text_null(n("note")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("availability_exceptions"), n("clinician_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "idx_availability_exceptions_clinician",
            "availability_exceptions",
            &["clinician_id", "start_at"],
        ))
        .await?;
        // The starting appointment types; the practice edits them afterwards.
        let db = m.get_connection();
        let backend = db.get_database_backend();
        for t in default_types() {
            let modes = serde_json::to_string(&t.modes).unwrap_or_else(|_| "[]".into());
            let stmt = Query::insert()
                .into_table(n("appointment_types"))
                .columns([
                    n("key"),
                    n("label"),
                    n("kind"),
                    n("minutes"),
                    n("buffer_before_minutes"),
                    n("buffer_after_minutes"),
                    n("modes"),
                    n("service_code"),
                    n("active"),
                ])
                .values_panic([
                    t.key.into(),
                    t.label.into(),
                    t.kind.as_str().into(),
                    (t.minutes as i32).into(),
                    (t.buffer_before_minutes as i32).into(),
                    (t.buffer_after_minutes as i32).into(),
                    modes.into(),
                    t.service_code.into(),
                    true.into(),
                ])
                .to_owned();
            let (sql, values) = match backend {
                sea_orm_migration::sea_orm::DbBackend::Postgres => stmt.build(PostgresQueryBuilder),
                _ => stmt.build(SqliteQueryBuilder),
            };
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
        Ok(())
    }
}

fn tstz_null_col(c: &str) -> ColumnDef {
    timestamp_with_time_zone_null(name(c))
}
