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
    /// Close a user's sockets (all, of one session, or all but one) with a code: kicks, bans,
    /// logout, ended sessions.
    Close {
        user: UserKey,
        #[serde(flatten)]
        close: crate::actors::user::CloseSessions,
    },
    /// A frame for every session (of a tenant): an administrator's broadcast.
    Everyone { tenant: Option<Uuid>, text: String },
    /// The pod lost the bus for a while: what it published may not have arrived, so clients
    /// should `sync`.
    Missed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_survives_the_trip_between_pods() {
        let close = crate::actors::user::CloseSessions::all_but("s1", 4004, "signed in elsewhere")
            .telling("{\"type\":\"notice\"}".into());
        let packet = Packet {
            from: "pod-1".into(),
            relay: Relay::Close {
                user: (None, Uuid::nil()),
                close,
            },
        };
        let text = serde_json::to_string(&packet).unwrap();
        let back: Packet = serde_json::from_str(&text).expect(&text);
        let Relay::Close { close, .. } = back.relay else {
            panic!("{text}")
        };
        assert_eq!(close.key.as_deref(), Some("s1"));
        assert!(close.except);
        assert_eq!(close.code, 4004);
        assert_eq!(close.notice.as_deref(), Some("{\"type\":\"notice\"}"));
    }
}
