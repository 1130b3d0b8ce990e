//! The client portal: accounts (a person with an e-mail address and, once the invitation is accepted, a password),
//! grants (which clients an account acts for, and as whom: one row per account and client, revoked in place),
//! one-time invitations (hash only) and the portal's own sessions, kept apart from staff sessions so that neither
//! can be mistaken for the other.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        let tstz_null = |c: &str| timestamp_with_time_zone_null(name(c));
        let fk = |table: &str, col: &str, to: &str| {
            ForeignKey::create()
                .from(n(table), n(col))
                .to(n(to), n("id"))
                .to_owned()
        };
        m.create_table(
            Table::create()
                .table(n("portal_accounts"))
                .col(uuid(n("id")).primary_key())
                .col(text_uniq(n("email")))
                .col(text(n("display_name")))
                .col(text_null(n("password_hash")))
                .col(boolean(n("disabled")).default(false))
                .col(integer(n("failed_logins")).default(0))
                .col(tstz_null("locked_until"))
                .col(tstz("created_at"))
                .col(tstz_null("activated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("portal_grants"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("account_id")))
                .col(uuid(n("client_id")))
                .col(text(n("capacity")))
                .col(uuid(n("granted_by")))
                .col(tstz("granted_at"))
                .col(tstz_null("revoked_at"))
                .col(uuid_null(n("revoked_by")))
                .foreign_key(&mut fk("portal_grants", "account_id", "portal_accounts"))
                .foreign_key(&mut fk("portal_grants", "client_id", "clients"))
                .foreign_key(&mut fk("portal_grants", "granted_by", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_portal_grants_account_client")
                .table(n("portal_grants"))
                .col(n("account_id"))
                .col(n("client_id"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_portal_grants_client")
                .table(n("portal_grants"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("portal_invitations"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("account_id")))
                .col(text_uniq(n("token_hash")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("expires_at"))
                .col(tstz_null("used_at"))
                .foreign_key(&mut fk(
                    "portal_invitations",
                    "account_id",
                    "portal_accounts",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("portal_sessions"))
                .col(text(n("id_hash")).primary_key())
                .col(uuid(n("account_id")))
                .col(tstz("created_at"))
                .col(tstz("last_seen_at"))
                .col(text(n("csrf_token")))
                .foreign_key(&mut fk("portal_sessions", "account_id", "portal_accounts"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
