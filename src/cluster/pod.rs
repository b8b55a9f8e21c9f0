//! This pod as the bus sees it: what the bus asks of it when something arrives from another
//! pod or a backend service, and what it reads of it for the directory and the heartbeat. The
//! delivery service implements it over the pod's actors (`delivery::ThisPod`), so the bus
//! never touches an actor.

use std::collections::HashSet;
use std::sync::Arc;

use bytestring::ByteString;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GroupFrame, Push};
use crate::keys::{GroupKey, UserKey};

/// How busy a pod is, for its heartbeat.
#[derive(Debug, Default, Clone, Copy)]
pub struct PodCounts {
    pub connections: usize,
    pub online_users: usize,
    pub user_actors: usize,
    pub group_actors: usize,
    pub actor_restarts: u64,
}

/// The local side of the bus.
pub trait Pod: Send + Sync {
    /// A frame for every session of `users` here, but connection `except`.
    fn to_users(&self, users: &[UserKey], except: Option<&Arc<str>>, text: &ByteString);

    /// A group frame for the group's members here.
    fn to_group(&self, group: GroupKey, frame: GroupFrame);

    /// A frame for every session (of `tenant`) here; how many it reached.
    fn to_everyone(&self, tenant: Option<Uuid>, text: &ByteString) -> usize;

    /// A backend push for the sessions here it targets.
    fn push(&self, push: Push);

    /// A notification a backend service published on Redis, which this pod claimed: publish
    /// it (stored once, delivered everywhere).
    fn publish_notification(&self, payload: Vec<u8>);

    /// `user` came online or went offline for the whole cluster: tell `friends` here (unless
    /// the user has a session here, which they already know of).
    fn friend_presence(&self, user: UserKey, online: bool, at: DateTime<Utc>, friends: &[Uuid]);

    /// These users' last pod went away: their friends here see them go offline, and (when
    /// `record`) their cards say so.
    fn friends_gone(&self, gone: Arc<HashSet<UserKey>>, record: bool);

    /// A user's or a group's facts changed in the database.
    fn reload_user(&self, user: &UserKey);
    fn reload_group(&self, group: &GroupKey);

    /// Close a user's sockets here (which ones: `close`).
    fn close_sessions(&self, user: &UserKey, close: crate::actors::user::CloseSessions);

    /// Live delivery may have missed messages: every client here syncs.
    fn tell_sessions_to_sync(&self, reason: &str);

    /// Whether `user` has a session here.
    fn has_session(&self, user: &UserKey) -> bool;

    /// The users with a session here.
    fn online_users(&self) -> Vec<UserKey>;

    /// How busy the pod is.
    fn counts(&self) -> PodCounts;

    /// The pod's figures over the last 15 minutes, for the other pods' consoles.
    fn history(&self) -> Vec<crate::history::Sample>;

    /// Every pod has heard that `user` has a session here (or some did not answer in time):
    /// push to the user's new sessions here what was committed for them since they opened.
    fn catch_up(&self, user: UserKey);
}
