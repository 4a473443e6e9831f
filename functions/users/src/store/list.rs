//! The admin listing: users in username order, from the `ByInitial` index (see [`super`]).

use aws_sdk_dynamodb::types::AttributeValue;
use shared::store::{StoreError, s};

use super::{USER_PREFIX, UserPage, UserStore, keyed_user, user_pk};
use crate::domain::{User, Username};

/// The index the admin listing reads; its name is part of the table's definition in the template.
pub(crate) const LIST_INDEX: &str = "ByInitial";
/// A user's partition of [`LIST_INDEX`].
pub(super) const INITIAL: &str = "initial";

/// Every character a username may begin with, in the order DynamoDB sorts strings (by byte):
/// the partitions of [`LIST_INDEX`], read in this order.
const INITIALS: &str = "-.0123456789_abcdefghijklmnopqrstuvwxyz";

/// The first character of `username`, its partition of `ByInitial`.
pub(super) fn initial(username: &Username) -> AttributeValue {
    s(username.as_str().chars().take(1).collect::<String>())
}

impl UserStore {
    /// Gives every user stored without an `initial` (before the listing had it) one; how many.
    /// Reads the whole table a page at a time: an operator's command (`xtask users-upgrade`),
    /// safe to run again.
    pub async fn list_unlisted(&self) -> Result<usize, StoreError> {
        // The key alone: no hash or address leaves the table for the operator's machine.
        let mut pages = self.table.scan_pages(|scan| {
            scan.filter_expression("begins_with(pk, :user) AND attribute_not_exists(#initial)")
                .projection_expression("pk")
                .expression_attribute_names("#initial", INITIAL)
                .expression_attribute_values(":user", s(USER_PREFIX))
        });
        let mut listed = 0;
        while let Some(page) = pages.next().await? {
            for item in page {
                let username = keyed_user(&item)
                    .ok_or_else(|| StoreError::corrupt("read a user's key", format!("{item:?}")))?;
                let update = self
                    .table
                    .update(user_pk(&username))
                    .update_expression("SET #initial = :initial")
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(#initial)")
                    .expression_attribute_names("#initial", INITIAL)
                    .expression_attribute_values(":initial", initial(&username));
                // An account deleted meanwhile is left deleted.
                if self.table.update_if(update).await? {
                    listed += 1;
                }
            }
        }
        Ok(listed)
    }

    /// Up to `limit` users after `after`, in username order: the partitions of [`LIST_INDEX`]
    /// one after another, from `after`'s, until the page is full. A page that ends where a
    /// partition does names its last user as the next cursor all the same (more may follow in
    /// the next partitions); only the last partition's end ends the list.
    pub async fn page(&self, limit: i32, after: Option<&Username>) -> Result<UserPage, StoreError> {
        let from = after.and_then(|username| username.as_str().chars().next());
        let mut users: Vec<User> = Vec::new();
        let mut after = after.map(|username| (user_pk(username), username.as_str()));
        for initial in INITIALS
            .chars()
            .skip_while(|c| from.is_some_and(|from| *c < from))
        {
            let wanted = limit - i32::try_from(users.len()).unwrap_or(limit);
            let initial = initial.to_string();
            let starting = after
                .take()
                .filter(|(_, username)| username.starts_with(&initial));
            let (found, more) = self
                .table
                .partition_page::<User>(
                    LIST_INDEX,
                    (INITIAL, &initial),
                    "username",
                    wanted,
                    starting,
                )
                .await?;
            users.extend(found);
            if more.is_some() || users.len() >= usize::try_from(limit).unwrap_or_default() {
                let next = users.last().map(|user| user.username.clone());
                return Ok(UserPage { users, next });
            }
        }
        Ok(UserPage { users, next: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initials_are_every_first_character_a_username_may_have_in_dynamodbs_order() {
        let mut sorted: Vec<u8> = INITIALS.bytes().collect();
        sorted.sort_unstable();
        assert_eq!(sorted, INITIALS.as_bytes());
        for byte in 0..=127u8 {
            let first = char::from(byte);
            let allowed = Username::parse(&format!("{first}ab"))
                .is_ok_and(|name| name.as_str().starts_with(first));
            assert_eq!(allowed, INITIALS.contains(first), "{first:?}");
        }
    }
}
