//! The foundation schema: accounts, sessions, tokens, clients, clinicians, care teams, episodes, audit, keys.
//! Frozen once released: later changes go in new migration files.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tbl(n: &str) -> TableCreateStatement {
    Table::create().table(name(n)).to_owned()
}

fn tstz(c: &str) -> ColumnDef {
    timestamp_with_time_zone(name(c))
}

fn tstz_null(c: &str) -> ColumnDef {
    timestamp_with_time_zone_null(name(c))
}

fn index(table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("idx_{}_{}", table, cols.join("_")))
        .table(name(table));
    for c in cols {
        i.col(name(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            tbl("users")
                .col(uuid(n("id")).primary_key())
                .col(text_uniq(n("email")))
                .col(text(n("display_name")))
                .col(text(n("password_hash")))
                .col(text(n("roles")))
                .col(boolean(n("must_change_password")))
                .col(blob_null(n("totp_secret")))
                .col(boolean(n("totp_enabled")))
                .col(big_integer_null(n("totp_last_step")))
                .col(boolean(n("disabled")))
                .col(integer(n("failed_logins")))
                .col(tstz_null("locked_until"))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            tbl("sessions")
                .col(text(n("id_hash")).primary_key())
                .col(uuid(n("user_id")))
                .col(tstz("created_at"))
                .col(tstz("last_seen_at"))
                .col(boolean(n("mfa_passed")))
                .col(text(n("csrf_token")))
                .col(tstz_null("reauth_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("sessions"), n("user_id"))
                        .to(n("users"), n("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", &["user_id"])).await?;
        m.create_table(
            tbl("api_tokens")
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("user_id")))
                .col(text(n("name")))
                .col(text_uniq(n("token_hash")))
                .col(text(n("prefix")))
                .col(tstz("created_at"))
                .col(tstz_null("last_used_at"))
                .col(tstz_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("api_tokens"), n("user_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_tokens", &["user_id"])).await?;
        m.create_table(
            tbl("clinicians")
                .col(uuid(n("user_id")).primary_key())
                .col(text(n("time_zone")))
                .col(text(n("specialisations")))
                .col(text(n("age_groups")))
                .col(text(n("modalities")))
                .col(text(n("languages")))
                .col(boolean(n("accepts_new_clients")))
                .col(text(n("weekly_hours")))
                .col(text_null(n("licences")))
                .col(text_null(n("bio")))
                .col(tstz("updated_at"))
                .col(integer(n("version")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("clinicians"), n("user_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            tbl("clients")
                .col(uuid(n("id")).primary_key())
                .col(text(n("legal_name")))
                .col(text_null(n("preferred_name")))
                .col(text_null(n("pronouns")))
                .col(date(n("date_of_birth")))
                .col(text_null(n("email")))
                .col(text_null(n("phone")))
                .col(text(n("time_zone")))
                .col(text(n("status")))
                .col(text(n("search_text")))
                .col(text(n("emergency_contacts")))
                .col(text(n("guardians")))
                .col(blob_null(n("presenting_problem")))
                .col(blob_null(n("clinical_notes")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(integer(n("version")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("clients", &["search_text"])).await?;
        m.create_table(
            tbl("care_team")
                .col(uuid(n("client_id")))
                .col(uuid(n("user_id")))
                .col(text(n("team_role")))
                .col(tstz("added_at"))
                .primary_key(Index::create().col(n("client_id")).col(n("user_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("care_team"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("care_team"), n("user_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("care_team", &["user_id"])).await?;
        m.create_table(
            tbl("supervisions")
                .col(uuid(n("supervisor_id")))
                .col(uuid(n("supervisee_id")))
                .col(tstz("created_at"))
                .primary_key(
                    Index::create()
                        .col(n("supervisor_id"))
                        .col(n("supervisee_id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("supervisions"), n("supervisor_id"))
                        .to(n("users"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("supervisions"), n("supervisee_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("supervisions", &["supervisee_id"]))
            .await?;
        m.create_table(
            tbl("episodes")
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(date(n("opened_on")))
                .col(date_null(n("closed_on")))
                .col(blob_null(n("presenting_problems")))
                .col(blob_null(n("diagnoses")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(integer(n("version")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("episodes"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("episodes", &["client_id"])).await?;
        m.create_table(
            tbl("audit_log")
                .col(big_integer(n("seq")).primary_key())
                .col(tstz("at"))
                .col(uuid_null(n("actor_id")))
                .col(text(n("actor_kind")))
                .col(text(n("action")))
                .col(text(n("resource_type")))
                .col(text_null(n("resource_id")))
                .col(uuid_null(n("client_id")))
                .col(text(n("outcome")))
                .col(text_null(n("request_id")))
                .col(text_null(n("detail")))
                .col(text(n("prev_hash")))
                .col(text(n("hash")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_log", &["client_id", "seq"]))
            .await?;
        m.create_index(index("audit_log", &["actor_id", "seq"]))
            .await?;
        m.create_table(
            tbl("audit_head")
                .col(integer(n("id")).primary_key())
                .col(big_integer(n("seq")))
                .col(text(n("hash")))
                .col(tstz("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            tbl("data_keys")
                .col(integer(n("id")).primary_key())
                .col(text(n("kek_id")))
                .col(blob(n("wrapped")))
                .col(tstz("created_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
