//! What pods say to each other over Redis. Frames for clients travel already serialized
//! (`text`), so the receiving pod hands the same bytes to its sessions without decoding them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::keys::{GroupKey, UserKey};

/// One message between pods, with the pod that sent it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Packet {
    pub from: String,
    #[serde(flatten)]
    pub relay: Relay,
}

/// What one pod asks of the others.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Relay {
    /// A frame for every device of these users on the receiving pod, but connection `except`.
    Users {
        users: Vec<UserKey>,
        except: Option<String>,
        text: String,
    },
    /// A frame for the group's members on the receiving pod: `sender`'s devices get `own`
    /// (if any, but connection `except`), everyone else `text`.
    Group {
        group: GroupKey,
        sender: Option<Uuid>,
        except: Option<String>,
        own: Option<String>,
        text: String,
    },
    /// A user's friends, settings or groups changed: running actors load them again.
    ReloadUser { user: UserKey },
    /// A group's members or flags changed.
    ReloadGroup { group: GroupKey },
    /// A user's first session on `from` opened, or its last one closed. `seq` numbers the
    /// pod's presence changes so that a lost one is noticed. `announce` says the user came
    /// online or went offline for the whole cluster: friends are told.
    Presence {
        seq: u64,
        user: UserKey,
        online: bool,
        announce: bool,
        friends: Vec<Uuid>,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Sent to the pod whose presence changes these are: the sender has applied them up to
    /// `seq` (and so routes to that pod every user they brought there).
    Heard { seq: u64 },
    /// The pod is alive; `seq` is its last presence change.
    Heartbeat { seq: u64 },
    /// The pod is shutting down cleanly: forget it now.
    Leaving,
    /// Close a user's sessions (all, or those of one token) with a code: kicks, bans, logout.
    Close {
        user: UserKey,
        token_key: Option<String>,
        code: u16,
        reason: String,
    },
    /// A frame for every session (of a tenant): an administrator's broadcast.
    Everyone { tenant: Option<Uuid>, text: String },
    /// The pod lost the bus for a while: what it published may not have arrived, so clients
    /// should `sync`.
    Missed,
}
