//! The notification definitions every cluster has: the social events users are told of as
//! `notice` frames (a friend request, a request to join a group) are stored as notifications
//! under these names too, and administrators' system notices go out under the third.

use entity::{notification_definition as def, notification_definition_group as grp};
use uuid::Uuid;

use crate::store::{Store, StoreError};

/// The built-in group.
pub const GROUP: &str = "IM";
/// A friend request arrived (`friend.request`).
pub const FRIEND_REQUEST: &str = "IM.FriendRequest";
/// A request to join a group an administrator may accept (`group.joinRequest`).
pub const GROUP_JOIN_REQUEST: &str = "IM.GroupJoinRequest";
/// An administrator's system notice (`POST /api/admin/broadcast`), and a subscribable one.
pub const SYSTEM_NOTICE: &str = "IM.SystemNotice";

fn definition(name: &str, display: &str, kind: i32, subscribable: bool) -> def::Model {
    def::Model {
        id: Uuid::new_v4(),
        name: name.into(),
        group_name: GROUP.into(),
        display_name: Some(display.into()),
        description: None,
        notification_lifetime: 0,
        notification_type: kind,
        content_type: 0,
        providers: Some("SignalR".into()),
        allow_subscription_to_clients: subscribable,
        extra_properties: None,
    }
}

/// Saves the built-in group and definitions that are missing (an administrator's changes to
/// them stay).
pub async fn ensure(store: &Store) -> Result<(), StoreError> {
    let group = grp::Model {
        id: Uuid::new_v4(),
        name: GROUP.into(),
        display_name: Some("Instant messaging".into()),
        description: Some("Notifications of the chat itself".into()),
        allow_subscription_to_clients: true,
        extra_properties: None,
    };
    let definitions = vec![
        definition(FRIEND_REQUEST, "Friend request", 20, false),
        definition(GROUP_JOIN_REQUEST, "Request to join a group", 20, false),
        definition(SYSTEM_NOTICE, "System notice", 10, true),
    ];
    store
        .add_missing_notification_definitions(vec![group], definitions)
        .await
}
