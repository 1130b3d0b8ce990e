//! The client portal's rules: whom an account may act for, and in what capacity.
//!
//! A portal account is a person (an e-mail address and a password), not a client: one parent may act for two
//! children, and a client may later have their own account beside their parents'. What an account may see comes
//! from its grants, one per client, given by the practice. A guardian's grant speaks for a minor only: it stops
//! working on the client's eighteenth birthday without anyone having to remember to revoke it.

use crate::client::is_minor;
use crate::error::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// In what capacity an account acts for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// The client themself.
    Client,
    /// A parent or guardian of a minor client.
    Guardian,
}

impl Capacity {
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Client => "client",
            Capacity::Guardian => "guardian",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Capacity::Client => "Client",
            Capacity::Guardian => "Parent or guardian",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "client" => Ok(Capacity::Client),
            "guardian" => Ok(Capacity::Guardian),
            _ => Err(Error::invalid(
                "capacity",
                "choose whether the account is for the client or for a parent or guardian",
            )),
        }
    }

    /// Whether a grant in this capacity may be given for a client born on `date_of_birth`.
    pub fn check_for(self, date_of_birth: NaiveDate, today: NaiveDate) -> Result<()> {
        if self == Capacity::Guardian && !is_minor(date_of_birth, today) {
            return Err(Error::invalid(
                "capacity",
                "this client is an adult: a parent or guardian cannot be given access to their record; invite the client instead",
            ));
        }
        Ok(())
    }
}

/// What the use case found out about a portal account's tie to one client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortalRelation {
    /// The account holds an unrevoked grant for this client, in this capacity.
    pub grant: Option<Capacity>,
    /// The client is a minor today.
    pub client_is_minor: bool,
}

impl PortalRelation {
    /// Whether the grant is in force today: the client's own always is, a guardian's only while the client is a
    /// minor.
    pub fn in_force(self) -> bool {
        match self.grant {
            Some(Capacity::Client) => true,
            Some(Capacity::Guardian) => self.client_is_minor,
            None => false,
        }
    }

    pub fn of(grant: Option<Capacity>, date_of_birth: NaiveDate, today: NaiveDate) -> Self {
        PortalRelation {
            grant,
            client_is_minor: is_minor(date_of_birth, today),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_guardians_grant_ends_on_the_clients_eighteenth_birthday() {
        let born = d("2008-11-27");
        let rel = |today| PortalRelation::of(Some(Capacity::Guardian), born, d(today));
        assert!(rel("2026-11-26").in_force());
        assert!(!rel("2026-11-27").in_force());
        let own = PortalRelation::of(Some(Capacity::Client), born, d("2026-11-26"));
        assert!(own.in_force(), "a minor's own grant works too");
        assert!(!PortalRelation::of(None, born, d("2026-11-26")).in_force());
    }

    #[test]
    fn a_guardian_is_invited_only_for_a_minor() {
        let today = d("2026-11-26");
        assert!(Capacity::Guardian.check_for(d("2010-01-01"), today).is_ok());
        let err = Capacity::Guardian.check_for(d("1990-01-01"), today);
        assert!(matches!(err, Err(Error::Validation(f)) if f[0].field == "capacity"));
        assert!(Capacity::Client.check_for(d("1990-01-01"), today).is_ok());
        assert!(Capacity::Client.check_for(d("2012-01-01"), today).is_ok());
    }

    #[test]
    fn capacities_round_trip_and_reject_anything_else() {
        for c in [Capacity::Client, Capacity::Guardian] {
            assert_eq!(Capacity::parse(c.as_str()).ok(), Some(c));
        }
        assert!(Capacity::parse("admin").is_err());
    }
}
