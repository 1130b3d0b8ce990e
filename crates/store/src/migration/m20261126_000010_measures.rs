//! Measurement-based care: assignments of an instrument to a client (once or every N days), single-use links
//! e-mailed to the client, responses (answers sealed, score in plain columns so trends need no decryption), and
//! alerts raised by critical answers until a clinician acknowledges them.
//!
//! Instruments themselves are not stored: they are embedded data (`rapport_domain::measures`), referred to by
//! their stable id. The alert's reason names the instrument and item number only, never the item's wording.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(m: &SchemaManager<'_>, idx: &str, table: &str, cols: &[&str]) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(idx).table(name(table));
    for c in cols {
        i.col(name(*c));
    }
    m.create_index(i.to_owned()).await
}

fn fk(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(name(from), name(col))
        .to(name(to), name("id"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        let tstz_null = |c: &str| timestamp_with_time_zone_null(name(c));

        m.create_table(
            Table::create()
                .table(n("measure_assignments"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(text(n("instrument_id")))
                // `once` or `every_days` (then `every_days` holds N).
                .col(text(n("schedule")))
                .col(integer_null(n("every_days")))
                // The date the next link goes out; none once a one-off link has been sent.
                .col(date_null(n("next_due_on")))
                .col(integer(n("link_days")))
                .col(boolean(n("active")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .foreign_key(&mut fk("measure_assignments", "client_id", "clients"))
                .foreign_key(&mut fk("measure_assignments", "created_by", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_measure_assignments_client",
            "measure_assignments",
            &["client_id", "created_at"],
        )
        .await?;
        index(
            m,
            "idx_measure_assignments_due",
            "measure_assignments",
            &["active", "next_due_on"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(n("measure_links"))
                .col(uuid(n("id")).primary_key())
                .col(text_uniq(n("token_hash")))
                .col(uuid(n("client_id")))
                .col(uuid_null(n("assignment_id")))
                .col(text(n("instrument_id")))
                .col(tstz("created_at"))
                .col(tstz("expires_at"))
                .col(tstz_null("used_at"))
                .foreign_key(&mut fk("measure_links", "client_id", "clients"))
                .foreign_key(&mut fk(
                    "measure_links",
                    "assignment_id",
                    "measure_assignments",
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_measure_links_assignment",
            "measure_links",
            &["assignment_id", "used_at"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(n("measure_responses"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(text(n("instrument_id")))
                .col(uuid_null(n("assignment_id")))
                .col(uuid_null(n("link_id")))
                // `client_link` (through an e-mailed link) or `staff` (then `entered_by` is the user).
                .col(text(n("entered_via")))
                .col(uuid_null(n("entered_by")))
                .col(blob(n("answers")))
                .col(double_null(n("total")))
                .col(boolean(n("valid")))
                .col(boolean(n("prorated")))
                .col(text_null(n("band")))
                .col(text_null(n("risk_level")))
                .col(boolean(n("critical")))
                .col(tstz("completed_at"))
                .foreign_key(&mut fk("measure_responses", "client_id", "clients"))
                .foreign_key(&mut fk(
                    "measure_responses",
                    "assignment_id",
                    "measure_assignments",
                ))
                .foreign_key(&mut fk("measure_responses", "link_id", "measure_links"))
                .foreign_key(&mut fk("measure_responses", "entered_by", "users"))
                .to_owned(),
        )
        .await?;
        // The per-client time series of one instrument.
        index(
            m,
            "idx_measure_responses_series",
            "measure_responses",
            &["client_id", "instrument_id", "completed_at"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(n("measure_alerts"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("response_id")))
                .col(uuid(n("client_id")))
                .col(text(n("reason")))
                .col(tstz("raised_at"))
                .col(uuid_null(n("acknowledged_by")))
                .col(tstz_null("acknowledged_at"))
                .col(tstz_null("escalated_at"))
                .foreign_key(&mut fk(
                    "measure_alerts",
                    "response_id",
                    "measure_responses",
                ))
                .foreign_key(&mut fk("measure_alerts", "client_id", "clients"))
                .foreign_key(&mut fk("measure_alerts", "acknowledged_by", "users"))
                .to_owned(),
        )
        .await?;
        // Open alerts of a client, and the escalation scan (unacknowledged, not yet escalated, oldest first).
        index(
            m,
            "idx_measure_alerts_client",
            "measure_alerts",
            &["client_id", "acknowledged_at"],
        )
        .await?;
        index(
            m,
            "idx_measure_alerts_open",
            "measure_alerts",
            &["acknowledged_at", "escalated_at", "raised_at"],
        )
        .await?;
        Ok(())
    }
}
