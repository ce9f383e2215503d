//! Time to action: how long each member platform takes from a case's opening to reporting
//! that it removed or blocked a copy, measured against the registry's target (the TAKE IT DOWN
//! Act's 48 hours unless the operator sets another).
//!
//! **Key decision: one removal per member and entry, timed by when the registry received its
//! first report.** A member that reports the same removal again, or removes several copies of
//! one photo, took the time of its first report for that photo's entry. The clock starts when
//! the case was opened, since that is when the member could first have matched it, and stops
//! when the registry received the report, a time the member cannot set back (the `at` it
//! claims is what the person sees, and only refused when in the future).

use std::collections::BTreeMap;

use crate::model::Timestamp;

/// A member's first removal report on one entry, and when that entry's case was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// The member's name.
    pub member: String,
    /// When the entry's case was opened.
    pub opened_at: Timestamp,
    /// When the registry received the member's first report of removing or blocking a copy.
    pub removed_at: Timestamp,
}

impl Removal {
    /// Milliseconds from the case's opening to the removal (0 if reported as earlier).
    pub fn millis(&self) -> i64 {
        (self.removed_at.millis() - self.opened_at.millis()).max(0)
    }
}

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

/// The start of the last `days` days before `now`: the cases an action-times listing covers.
pub fn days_before(now: Timestamp, days: u32) -> Timestamp {
    Timestamp::from_millis(now.millis() - i64::from(days) * 24 * HOUR_MS)
}

/// One member's removals, summarised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberActionTimes {
    /// The member's name.
    pub member: String,
    /// Removals reported.
    pub removals: u32,
    /// The median time to removal, in milliseconds (the lower middle of an even count).
    pub median_ms: i64,
    /// The slowest, in milliseconds.
    pub slowest_ms: i64,
    /// Removals that took longer than the target.
    pub late: u32,
}

impl MemberActionTimes {
    /// [`Self::median_ms`] in hours.
    pub fn median_hours(&self) -> f64 {
        self.median_ms as f64 / HOUR_MS as f64
    }

    /// [`Self::slowest_ms`] in hours.
    pub fn slowest_hours(&self) -> f64 {
        self.slowest_ms as f64 / HOUR_MS as f64
    }
}

/// Each member's time to removal against `target_hours`, by member name.
pub fn action_times(removals: &[Removal], target_hours: u32) -> Vec<MemberActionTimes> {
    let target_ms = i64::from(target_hours) * HOUR_MS;
    let mut by_member: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for r in removals {
        by_member.entry(&r.member).or_default().push(r.millis());
    }
    by_member
        .into_iter()
        .map(|(member, mut times)| {
            times.sort_unstable();
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            MemberActionTimes {
                member: member.to_owned(),
                removals: count(times.len()),
                median_ms: times[(times.len() - 1) / 2],
                slowest_ms: *times.last().expect("a member here has a removal"),
                late: count(times.iter().filter(|&&t| t > target_ms).count()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_member_gets_its_median_slowest_and_late_removals() {
        const HOUR: i64 = HOUR_MS;
        let removal = |member: &str, opened: i64, hours: i64| Removal {
            member: member.into(),
            opened_at: Timestamp::from_millis(opened),
            removed_at: Timestamp::from_millis(opened + hours * HOUR),
        };
        let removals = [
            removal("b", 0, 50),
            removal("a", 10, 1),
            removal("a", 20, 49),
            removal("a", 30, 3),
            removal("b", 0, -1),
        ];
        let times = action_times(&removals, 48);
        assert_eq!(
            times,
            [
                MemberActionTimes {
                    member: "a".into(),
                    removals: 3,
                    median_ms: 3 * HOUR,
                    slowest_ms: 49 * HOUR,
                    late: 1
                },
                MemberActionTimes {
                    member: "b".into(),
                    removals: 2,
                    median_ms: 0,
                    slowest_ms: 50 * HOUR,
                    late: 1
                },
            ]
        );
        assert!(action_times(&[], 1).is_empty());
        assert_eq!(times[0].median_hours(), 3.0);
    }
}
