//! How often something may be asked for (an e-mail resent, a reset link), per account or per
//! client: the times of the recent requests in one item, replaced by a conditional write so
//! that of concurrent requests only as many as the quota allows get their turn.
//!
//! | item | `pk` | other attributes |
//! |------|------|------------------|
//! | asked | `ASKED#<what>#<who>` | `sent` (epoch seconds of the recent requests), `version`, `expires_at` (also the TTL) |

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use shared::store::{Item, StoreError, n, to_item};
use time::{Duration, OffsetDateTime};

use super::UserStore;

/// At most `most` requests in any `window`, at least `gap` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    pub(crate) gap: Duration,
    pub(crate) most: usize,
    pub(crate) window: Duration,
}

/// Verification e-mails asked for again, and changes of address asked for, per account.
pub(crate) const RESEND: Quota = Quota {
    gap: Duration::minutes(1),
    most: 5,
    window: Duration::DAY,
};
/// Password reset links, per account and client asking: one a minute, five a day.
pub(crate) const RESET_PER_ACCOUNT_CLIENT: Quota = Quota {
    gap: Duration::minutes(1),
    most: 5,
    window: Duration::DAY,
};
/// Password reset links, per account from clients that have not logged in to it: enough that
/// requests from elsewhere cannot use up the owner's (the owner's usual clients are not held to
/// it at all).
pub(crate) const RESET_PER_ACCOUNT: Quota = Quota {
    gap: Duration::ZERO,
    most: 20,
    window: Duration::DAY,
};
/// E-mails of the users service to one address, whatever the accounts: registering many
/// accounts with someone else's address gets them no more than this.
pub(crate) const MAIL_TO: Quota = Quota {
    gap: Duration::ZERO,
    most: 10,
    window: Duration::DAY,
};
/// Notices to one address, whatever the accounts: each follows a change its owner made with
/// the password or a reset link, so this is a backstop, far above what an owner does.
pub(crate) const NOTICES_TO: Quota = Quota {
    gap: Duration::ZERO,
    most: 20,
    window: Duration::DAY,
};
/// Password resets asked for, per client address, whatever the account.
pub(crate) const RESET_PER_CLIENT: Quota = Quota {
    gap: Duration::ZERO,
    most: 20,
    window: Duration::HOUR,
};

/// Whether a request got its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Granted,
    /// Asked too often: again in this many seconds.
    TooSoon {
        retry_after: u64,
    },
    /// A condition of the writes that go with the turn was false: nothing was written, and
    /// the turn is not taken.
    Refused,
}

/// The recent requests of one kind by one account or client.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Asked {
    sent: Vec<i64>,
    /// The requests that got the last turns, when they have ids: a request delivered again (its
    /// e-mail failed, say) has its turn already.
    #[serde(default)]
    requests: Vec<String>,
    version: u64,
    #[serde(default, with = "time::serde::timestamp::option")]
    expires_at: Option<OffsetDateTime>,
}

impl Asked {
    /// The requests still in `quota`'s window at `now`.
    fn recent(&self, quota: Quota, now: OffsetDateTime) -> Vec<i64> {
        let since = (now - quota.window).unix_timestamp();
        self.sent
            .iter()
            .copied()
            .filter(|time| *time > since)
            .collect()
    }

    /// Seconds until another may be asked, if it may not be now.
    fn wait(&self, quota: Quota, now: OffsetDateTime) -> Option<u64> {
        let recent = self.recent(quota, now);
        let now = now.unix_timestamp();
        // Without a gap a quota only counts. Were the gap worked out anyway, a turn another
        // request took a second later by its clock (read before this one lost the race to it)
        // would read as "too soon" by a second: an e-mail within the quota was once dropped so.
        let gap = if quota.gap.is_zero() {
            0
        } else {
            recent
                .iter()
                .max()
                .map_or(0, |last| last + quota.gap.whole_seconds() - now)
        };
        let full = (recent.len() >= quota.most).then(|| {
            recent.iter().min().copied().unwrap_or(now) + quota.window.whole_seconds() - now
        });
        let wait = gap.max(full.unwrap_or(0));
        (wait > 0).then(|| wait.unsigned_abs())
    }
}

impl UserStore {
    /// Takes a turn of `quota` for the requests kept at `pk`, writing `with` in the same
    /// transaction (they happen only if the turn is granted, and the turn is taken only if their
    /// conditions hold: [`Turn::Refused`]). A `request` that got a turn already has it still.
    pub(super) async fn take_turn(
        &self,
        pk: &str,
        quota: Quota,
        now: OffsetDateTime,
        with: Vec<TransactWriteItem>,
        request: Option<&str>,
    ) -> Result<Turn, StoreError> {
        // A lost race means another request took a turn meanwhile: read again, and see whether
        // one is left, after a short random pause, so that requests racing for one count (many
        // e-mails to one address in a batch) do not collide again in step.
        for race in 0..RACES {
            if race > 0 {
                let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % 20;
                tokio::time::sleep(std::time::Duration::from_millis(5 * race as u64 + jitter))
                    .await;
            }
            let asked: Asked = self.table.get_record(pk, true).await?.unwrap_or_default();
            if let Some(request) = request
                && asked.requests.iter().any(|granted| granted == request)
            {
                return Ok(Turn::Granted);
            }
            if let Some(retry_after) = asked.wait(quota, now) {
                return Ok(Turn::TooSoon { retry_after });
            }
            let mut sent = asked.recent(quota, now);
            sent.push(now.unix_timestamp());
            let mut requests = asked.requests;
            requests.extend(request.map(str::to_owned));
            let drop = requests.len().saturating_sub(quota.most);
            requests.drain(..drop);
            let next = Asked {
                sent,
                requests,
                version: asked.version + 1,
                expires_at: Some(now + quota.window),
            };
            let version = i64::try_from(asked.version).unwrap_or(i64::MAX);
            let record = self.table.transact_put(
                to_item(pk, &next)?,
                "attribute_not_exists(pk) OR version = :version",
                &[],
                Item::from([(":version".to_owned(), n(version))]),
            )?;
            let mut writes = vec![record];
            writes.extend(with.iter().cloned());
            match self.table.transact_or_refusals(writes).await? {
                None => return Ok(Turn::Granted),
                // The record of turns is the first write: any other refused is one of `with`.
                Some(refused) if refused.iter().any(|position| *position > 0) => {
                    return Ok(Turn::Refused);
                }
                Some(_) => {}
            }
        }
        Err(StoreError::busy(
            "TakeTurn",
            format!("{pk} kept changing under {RACES} attempts"),
        ))
    }
}

/// How many times a turn reads again after losing a race before giving up (busy, a 503).
const RACES: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(seconds_ago: &[i64], now: OffsetDateTime) -> Asked {
        Asked {
            sent: seconds_ago
                .iter()
                .map(|ago| now.unix_timestamp() - ago)
                .collect(),
            ..Asked::default()
        }
    }

    #[test]
    fn one_a_minute_and_five_a_day() {
        let now = OffsetDateTime::now_utc();
        let wait = |ago: &[i64]| asked(ago, now).wait(RESEND, now);
        assert_eq!(wait(&[]), None);
        assert_eq!(wait(&[20]), Some(40));
        assert_eq!(wait(&[60]), None);
        assert_eq!(wait(&[100, 200, 300, 400]), None);
        // The fifth of the day was 100 s ago; the oldest of them lapses in an hour.
        let day = Duration::DAY.whole_seconds();
        assert_eq!(wait(&[100, 200, 300, 400, day - 3600]), Some(3600));
        assert_eq!(wait(&[100, 200, 300, 400, day + 1]), None);
    }

    #[test]
    fn a_quota_without_a_gap_only_counts() {
        let now = OffsetDateTime::now_utc();
        let many: Vec<i64> = (0..19).collect();
        assert_eq!(asked(&many, now).wait(RESET_PER_CLIENT, now), None);
        // A turn taken by a request whose clock read a second later (it won a race against
        // this one) still leaves room.
        assert_eq!(asked(&[-1, 0, 3], now).wait(MAIL_TO, now), None);
        let full: Vec<i64> = (0..20).collect();
        assert_eq!(
            asked(&full, now).wait(RESET_PER_CLIENT, now),
            Some(3600 - 19)
        );
    }
}
