//! Break-the-glass emergency access: who opened which client's record outside the care team, from when until
//! when, why (sealed), and the administrator's review (finding and note, the note sealed). Reviewed once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        let tstz_null = |c: &str| timestamp_with_time_zone_null(name(c));
        m.create_table(
            Table::create()
                .table(n("emergency_access"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("user_id")))
                .col(uuid(n("client_id")))
                .col(blob(n("reason")))
                .col(tstz("started_at"))
                .col(tstz("expires_at"))
                .col(uuid_null(n("reviewed_by")))
                .col(tstz_null("reviewed_at"))
                .col(text_null(n("finding")))
                .col(blob_null(n("review_note")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("emergency_access"), n("user_id"))
                        .to(n("users"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("emergency_access"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_emergency_access_user_client")
                .table(n("emergency_access"))
                .col(n("user_id"))
                .col(n("client_id"))
                .col(n("expires_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
