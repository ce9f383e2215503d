//! Who may do what: one function, [`authorize`], that every route calls.

use crate::ids::{CaseId, MemberId};
use crate::model::{Scope, Scopes};

/// The authenticated caller.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Principal {
    /// No credentials (the affected person opening a case, or anyone).
    Anonymous,
    /// The holder of one case, proven with its secret.
    CaseHolder(CaseId),
    /// A member with a valid, enabled API key.
    Member {
        /// The member.
        id: MemberId,
        /// Its name, for the audit log.
        name: String,
        /// What it may do.
        scopes: Scopes,
    },
}

impl Principal {
    /// A member principal with a random id, for examples and tests.
    pub fn member_for_tests(name: &str, scopes: Scopes) -> Self {
        Self::Member {
            id: MemberId::random(),
            name: name.to_owned(),
            scopes,
        }
    }
}

/// Everything a caller can ask the registry to do.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Action {
    /// Open a case with hashes.
    OpenCase,
    /// Read a case's status.
    ReadCase(CaseId),
    /// Withdraw a case.
    WithdrawCase(CaseId),
    /// Read the hash list.
    Sync,
    /// Match hashes against the list.
    Match,
    /// Report outcomes of matches.
    ReportOutcomes,
    /// Add, list, disable members and rotate their keys.
    ManageMembers,
    /// Read the audit log.
    ReadAudit,
    /// Quarantine or release entries.
    ReviewEntries,
    /// Read operational metrics.
    ReadMetrics,
}

impl Action {
    /// The member scope this action needs, if a member may do it at all.
    fn scope(&self) -> Option<Scope> {
        match self {
            Self::OpenCase | Self::ReadCase(_) | Self::WithdrawCase(_) => None,
            Self::Sync => Some(Scope::Sync),
            Self::Match => Some(Scope::Match),
            Self::ReportOutcomes => Some(Scope::Outcomes),
            Self::ManageMembers | Self::ReadAudit | Self::ReviewEntries | Self::ReadMetrics => {
                Some(Scope::Admin)
            }
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denied {
    /// No (valid) credentials were presented for an action that needs them.
    #[error("this needs credentials: an API key, or the case's secret")]
    Unauthenticated,
    /// The member's key lacks the scope.
    #[error("this key does not have the {0:?} scope")]
    MissingScope(&'static str),
    /// The caller is authenticated, but as someone this action is not for.
    #[error("these credentials cannot be used for this")]
    WrongRole,
}

/// Decides whether `principal` may do `action`.
///
/// Opening a case needs no account (the person must not have to identify themselves); a case is
/// read or withdrawn only by the holder of that case's secret, and never by a member or an
/// operator: operators see the audit log, not the person's case. Member actions need the
/// matching scope.
///
/// # Errors
/// [`Denied`] saying what is missing.
pub fn authorize(principal: &Principal, action: &Action) -> Result<(), Denied> {
    match (action, principal) {
        (Action::OpenCase, _) => Ok(()),
        (Action::ReadCase(case) | Action::WithdrawCase(case), Principal::CaseHolder(holder)) => {
            if case == holder {
                Ok(())
            } else {
                Err(Denied::WrongRole)
            }
        }
        (Action::ReadCase(_) | Action::WithdrawCase(_), Principal::Anonymous) => {
            Err(Denied::Unauthenticated)
        }
        (Action::ReadCase(_) | Action::WithdrawCase(_), Principal::Member { .. }) => {
            Err(Denied::WrongRole)
        }
        (_, Principal::Anonymous) => Err(Denied::Unauthenticated),
        (_, Principal::CaseHolder(_)) => Err(Denied::WrongRole),
        (action, Principal::Member { scopes, .. }) => match action.scope() {
            Some(needed) if scopes.contains(needed) => Ok(()),
            Some(needed) => Err(Denied::MissingScope(needed.as_str())),
            None => Err(Denied::WrongRole),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_by_every_role() {
        let case = CaseId::random();
        let other_case = CaseId::random();
        let member = |s: &[Scope]| Principal::member_for_tests("m", s.iter().copied().collect());
        let actions = [
            (Action::OpenCase, None),
            (Action::ReadCase(case), None),
            (Action::WithdrawCase(case), None),
            (Action::Sync, Some(Scope::Sync)),
            (Action::Match, Some(Scope::Match)),
            (Action::ReportOutcomes, Some(Scope::Outcomes)),
            (Action::ManageMembers, Some(Scope::Admin)),
            (Action::ReadAudit, Some(Scope::Admin)),
            (Action::ReviewEntries, Some(Scope::Admin)),
            (Action::ReadMetrics, Some(Scope::Admin)),
        ];
        for (action, scope) in &actions {
            let open = *action == Action::OpenCase;
            let case_action = matches!(action, Action::ReadCase(_) | Action::WithdrawCase(_));
            assert_eq!(authorize(&Principal::Anonymous, action).is_ok(), open);
            assert_eq!(
                authorize(&Principal::CaseHolder(case), action).is_ok(),
                open || case_action
            );
            assert_eq!(
                authorize(&Principal::CaseHolder(other_case), action).is_ok(),
                open
            );
            for s in Scope::ALL {
                assert_eq!(
                    authorize(&member(&[s]), action).is_ok(),
                    open || *scope == Some(s),
                    "{action:?} with scope {s:?}"
                );
            }
            // All scopes together still do not open someone's case.
            assert_eq!(
                authorize(&member(&Scope::ALL), action).is_ok(),
                !case_action
            );
        }
    }
}
