//! Couples and families as units, and therapy groups with facilitators and rosters (the first cut; the clinical
//! records issue adds sessions, attendance and notes on top).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        m.create_table(
            Table::create()
                .table(n("units"))
                .col(uuid(n("id")).primary_key())
                .col(text(n("kind")))
                .col(text(n("label")))
                .col(tstz("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("unit_members"))
                .col(uuid(n("unit_id")))
                .col(uuid(n("client_id")))
                .col(text(n("member_role")))
                .col(tstz("added_at"))
                .primary_key(Index::create().col(n("unit_id")).col(n("client_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("unit_members"), n("unit_id"))
                        .to(n("units"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("unit_members"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_unit_members_client")
                .table(n("unit_members"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("groups"))
                .col(uuid(n("id")).primary_key())
                .col(text(n("name")))
                .col(text(n("kind")))
                .col(integer(n("capacity")))
                .col(tstz("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("group_facilitators"))
                .col(uuid(n("group_id")))
                .col(uuid(n("user_id")))
                .primary_key(Index::create().col(n("group_id")).col(n("user_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_facilitators"), n("group_id"))
                        .to(n("groups"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_facilitators"), n("user_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("group_members"))
                .col(uuid(n("group_id")))
                .col(uuid(n("client_id")))
                .col(date(n("joined_on")))
                .col(date_null(n("left_on")))
                .primary_key(Index::create().col(n("group_id")).col(n("client_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_members"), n("group_id"))
                        .to(n("groups"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_members"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_members_client")
                .table(n("group_members"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
