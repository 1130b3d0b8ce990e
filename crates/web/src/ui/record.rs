//! The printable record, one template for both readers: a member of staff exporting it and a client (or guardian)
//! reading it in the portal.

use askama::Template;
use askama_web::WebTemplate;
use rapport_app::records::ClientRecord;

#[derive(Template, WebTemplate)]
#[template(path = "record_print.html")]
pub(crate) struct RecordPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    pub r: ClientRecord,
    /// Where "back" leads: the client's page for staff, the person's portal page for a portal reader.
    pub back: String,
    pub back_label: &'static str,
}
