//! Staff roles and the authenticated actor on whose behalf every use case runs.

use crate::ids::{PortalAccountId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Owner or administrator: manages accounts and reads the audit log; no clinical content by role alone.
    Admin,
    Clinician,
    /// Oversees trainees: may read the clinical record of their supervisees' clients.
    Supervisor,
    /// Front desk: schedules and demographics, never clinical text.
    Scheduler,
    Billing,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Clinician,
        Role::Supervisor,
        Role::Scheduler,
        Role::Billing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::Supervisor => "supervisor",
            Role::Scheduler => "scheduler",
            Role::Billing => "billing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Clinician => "Clinician",
            Role::Supervisor => "Supervisor",
            Role::Scheduler => "Scheduler",
            Role::Billing => "Billing",
        }
    }

    /// Roles whose holders provide care and so may sit on a client's care team.
    pub fn is_clinical(self) -> bool {
        matches!(self, Role::Clinician | Role::Supervisor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" | "owner" => Ok(Role::Admin),
            "clinician" => Ok(Role::Clinician),
            "supervisor" => Ok(Role::Supervisor),
            "scheduler" => Ok(Role::Scheduler),
            "billing" => Ok(Role::Billing),
            other => Err(crate::Error::invalid(
                "role",
                format!(
                    "unknown role '{other}'; expected one of admin, clinician, supervisor, scheduler, billing"
                ),
            )),
        }
    }
}

/// Who is asking. Built by the web edge from a verified session or API token, or by the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        id: UserId,
        roles: Vec<Role>,
    },
    /// The operator at the command line (`rapport admin …`), who holds the keyring file.
    Operator,
    /// Someone on the public booking pages: not signed in, known at most by a one-time booking link.
    Public,
    /// A client, or a parent or guardian of a minor, signed in to the client portal. Holds no staff role; what the
    /// account may see is decided per client from its grants (`portal::PortalRelation`).
    Portal {
        account: PortalAccountId,
    },
}

impl Actor {
    pub fn staff(id: UserId, roles: Vec<Role>) -> Self {
        Actor::Staff { id, roles }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::Staff { id, .. } => Some(*id),
            Actor::Operator | Actor::Public | Actor::Portal { .. } => None,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        match self {
            Actor::Staff { roles, .. } => roles.contains(&role),
            Actor::Operator | Actor::Public | Actor::Portal { .. } => false,
        }
    }

    pub fn is_clinical(&self) -> bool {
        match self {
            Actor::Staff { roles, .. } => roles.iter().any(|r| r.is_clinical()),
            Actor::Operator | Actor::Public | Actor::Portal { .. } => false,
        }
    }
}
