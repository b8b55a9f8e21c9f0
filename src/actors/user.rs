//! One actor per online (or just addressed) user: the user's sessions on this pod, the
//! cached facts that decide who may message the user, and the user's presence. Private
//! messages are checked, stored and delivered by the receiver's actor, so the checks run on
//! facts one actor owns, with no query per message.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;
use chrono::Utc;
use uuid::Uuid;

use super::commit::Committed;
use super::{SessionHandle, UserKey};
use crate::chat::rules;
use crate::chat::wire::wire;
use crate::offline_push::JobConversation;
use crate::protocol::{Code, ServerFrame};
use crate::requests::{Draft, Origin};
use crate::state::AppState;
use crate::store::{Conversation, UserFacts};

/// How long a user actor with no session stays up before it stops.
const IDLE: Duration = Duration::from_secs(60);

/// The user actor.
pub struct UserActor {
    state: Arc<AppState>,
    key: UserKey,
    facts: Option<UserFacts>,
    sessions: HashMap<Arc<str>, SessionHandle>,
    last_active: Instant,
}

impl UserActor {
    pub fn new(state: Arc<AppState>, key: UserKey) -> Self {
        UserActor {
            state,
            key,
            facts: None,
            sessions: HashMap::new(),
            last_active: Instant::now(),
        }
    }

    fn deliver(&self, text: &ByteString, except: Option<&Arc<str>>) {
        for (id, session) in &self.sessions {
            if Some(id) != except {
                session.push(text.clone());
            }
        }
    }

    /// Records that the user's first session on this pod opened or its last one closed. When
    /// no other pod holds a session of the user, it is a change for the whole cluster: the
    /// friends (on every pod) are told and the card's state is stored.
    fn announce_presence(&self, online: bool) {
        self.state.delivery.supervisor.set_online(self.key, online);
        let now = Utc::now();
        let announce = !self.state.delivery.bus.online_elsewhere(&self.key);
        let friends: Vec<Uuid> = self
            .facts
            .as_ref()
            .map(|f| f.friends.keys().copied().collect())
            .unwrap_or_default();
        if announce {
            let frame = ServerFrame::Presence {
                user_id: self.key.1,
                online,
                last_online_time: now,
            }
            .to_text();
            for friend in &friends {
                self.state
                    .delivery
                    .supervisor
                    .push_to_user(&(self.key.0, *friend), &frame, None);
            }
            self.state.writer.presence(crate::store::PresenceWrite {
                tenant_id: self.key.0,
                user_id: self.key.1,
                online,
                at: now,
            });
        }
        self.state
            .delivery
            .bus
            .presence(crate::cluster::PresenceChange {
                user: self.key,
                online,
                announce,
                friends,
                at: now,
            });
    }

    /// An actor started for an id nobody has (a send to a made-up user) stops soon rather
    /// than idling for minutes: thousands of such sends cost no memory. It leaves the
    /// supervisor first, so what comes next starts afresh, and answers what is already in its
    /// mailbox before it stops.
    fn stop_if_nobody(&self, ctx: &mut Context<Self>) {
        let nobody = self.facts.as_ref().is_some_and(|f| !f.exists);
        if nobody && self.sessions.is_empty() {
            self.state
                .delivery
                .supervisor
                .forget_user(&self.key, &ctx.address());
            ctx.run_later(Duration::from_millis(200), |act, ctx| {
                if act.sessions.is_empty() {
                    ctx.stop();
                }
            });
        }
    }

    /// The user's groups, each with the first message id the user may see in it; `None`
    /// while the facts are not loaded.
    fn my_groups(&self) -> Option<Vec<(i64, i64)>> {
        let facts = self.facts.as_ref()?;
        Some(
            facts
                .groups
                .iter()
                .map(|(group, joined)| (*group, crate::ids::IdGenerator::first_id_at(*joined)))
                .collect(),
        )
    }

    fn load_facts(&mut self, ctx: &mut Context<Self>) {
        let (store, (tenant, user)) = (self.state.store.clone(), self.key);
        ctx.wait(
            async move { store.user_facts(tenant, user).await }
                .into_actor(self)
                .map(|result, act, _| match result {
                    Ok(facts) => act.facts = Some(facts),
                    Err(e) => tracing::warn!(error = %e, "could not load a user's facts"),
                }),
        );
    }
}

impl Actor for UserActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.load_facts(ctx);
        ctx.run_interval(IDLE / 2, |act, ctx| {
            if act.sessions.is_empty() && act.last_active.elapsed() >= IDLE {
                act.state
                    .delivery
                    .supervisor
                    .forget_user(&act.key, &ctx.address());
                ctx.stop();
            }
        });
    }
}

/// A session of this user opened.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Attach(pub SessionHandle);

impl Handler<Attach> for UserActor {
    type Result = ();

    fn handle(&mut self, Attach(session): Attach, _: &mut Context<Self>) {
        self.last_active = Instant::now();
        let first = self.sessions.is_empty();
        self.sessions.insert(session.connection_id.clone(), session);
        if first {
            self.announce_presence(true);
        }
    }
}

/// A session of this user closed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Detach(pub Arc<str>);

impl Handler<Detach> for UserActor {
    type Result = ();

    fn handle(&mut self, Detach(connection_id): Detach, _: &mut Context<Self>) {
        self.last_active = Instant::now();
        if self.sessions.remove(&connection_id).is_some() && self.sessions.is_empty() {
            self.announce_presence(false);
        }
    }
}

/// A frame for every session of this user, answering how many it reached (backend pushes).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct CountedDeliver(pub ByteString);

impl Handler<CountedDeliver> for UserActor {
    type Result = usize;

    fn handle(&mut self, CountedDeliver(text): CountedDeliver, _: &mut Context<Self>) -> usize {
        self.sessions
            .values()
            .filter(|s| s.push(text.clone()))
            .count()
    }
}

/// The facts changed in the database (friendship, settings, groups): load them again.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload;

impl Handler<Reload> for UserActor {
    type Result = ();

    fn handle(&mut self, _: Reload, ctx: &mut Context<Self>) {
        self.load_facts(ctx);
    }
}

/// The user's groups, each with the first message id the user may see in it.
#[derive(Message)]
#[rtype(result = "Option<Vec<(i64, i64)>>")]
pub struct MyGroups;

impl Handler<MyGroups> for UserActor {
    type Result = Option<Vec<(i64, i64)>>;

    fn handle(&mut self, _: MyGroups, _: &mut Context<Self>) -> Self::Result {
        self.my_groups()
    }
}

/// Whether others see what the user reads (`shareReadReceipts`); `None` while the facts are
/// not loaded.
#[derive(Message)]
#[rtype(result = "Option<bool>")]
pub struct SharesReceipts;

impl Handler<SharesReceipts> for UserActor {
    type Result = Option<bool>;

    fn handle(&mut self, _: SharesReceipts, _: &mut Context<Self>) -> Self::Result {
        self.facts.as_ref().map(|f| f.shares_read_receipts)
    }
}

/// A private message to this user: checked, stored, acknowledged, delivered.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendPrivate {
    pub origin: Origin,
    pub draft: Draft,
}

impl Handler<SendPrivate> for UserActor {
    type Result = ();

    fn handle(&mut self, SendPrivate { origin, draft }: SendPrivate, ctx: &mut Context<Self>) {
        self.last_active = Instant::now();
        let Some(facts) = &self.facts else {
            origin.fail(Code::Unavailable);
            self.load_facts(ctx);
            return;
        };
        if self.state.config.node.fault_injection && draft.content == crate::state::PANIC_CONTENT {
            panic!("fault injection: a user actor was asked to panic");
        }
        if let Err(code) = rules::check_private(facts, origin.user_id, draft.is_anonymous) {
            origin.fail(code);
            self.stop_if_nobody(ctx);
            return;
        }
        let message = draft.stamp(
            &self.state,
            self.key.0,
            &origin,
            Conversation::User(self.key.1),
        );
        super::commit::queue(&self.state, origin, message, ctx.address());
    }
}

/// "Typing…" from `origin` to this user. It follows the private-send rule: a stranger where
/// friendship is needed, a blocked user, anyone when the user takes no messages, gets nothing
/// through; refused, a frame that carried an `id` is answered with the code a send would get.
/// A caller that awaits an answer (a hub invocation) gets one either way.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TypingPrivate {
    pub origin: Origin,
}

impl Handler<TypingPrivate> for UserActor {
    type Result = ();

    fn handle(&mut self, TypingPrivate { origin }: TypingPrivate, ctx: &mut Context<Self>) {
        self.last_active = Instant::now();
        let answer = origin.awaits();
        let Some(facts) = &self.facts else {
            // Typing is not worth a wait: it is dropped until the facts are in.
            self.load_facts(ctx);
            if answer {
                origin.done();
            }
            return;
        };
        if let Err(code) = rules::check_private(facts, origin.user_id, false) {
            if answer || origin.request_id.is_some() {
                origin.fail(code);
            }
            self.stop_if_nobody(ctx);
            return;
        }
        if answer {
            origin.done();
        }
        let text = ServerFrame::Typing {
            user_id: origin.user_id,
            group_id: None,
        }
        .to_text();
        self.state.delivery.deliver(&[self.key], &text, None);
    }
}

impl Handler<Committed> for UserActor {
    type Result = ();

    fn handle(&mut self, committed: Committed, _: &mut Context<Self>) {
        let Some((origin, message)) = committed.acknowledge() else {
            return;
        };
        let text = ServerFrame::Message {
            message: wire(&message),
        }
        .to_text();
        self.deliver(&text, None);
        crate::metrics::metrics()
            .messages_delivered
            .with_label_values(&["private"])
            .inc_by(self.sessions.len() as u64);
        let except = origin.connection_id();
        if origin.user_id == self.key.1 {
            self.state.delivery.bus.to_users(&[self.key], None, &text);
            return;
        }
        self.state.push_jobs.offer_message(
            &self.state.delivery.supervisor,
            &[self.key],
            JobConversation::User(origin.user_id),
            message.message_id,
            Some(&message.from_name),
            &message.content,
        );
        let sender = (self.key.0, origin.user_id);
        self.state
            .delivery
            .supervisor
            .push_to_user(&sender, &text, except.as_ref());
        // One publish per other pod holding the receiver or the sender.
        self.state
            .delivery
            .bus
            .to_users(&[self.key, sender], except.as_deref(), &text);
    }
}

/// Some friends' pod went away and they have no session left anywhere: tell this user.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FriendsGone(pub Arc<std::collections::HashSet<UserKey>>);

impl Handler<FriendsGone> for UserActor {
    type Result = ();

    fn handle(&mut self, FriendsGone(gone): FriendsGone, _: &mut Context<Self>) {
        let Some(facts) = &self.facts else { return };
        let now = Utc::now();
        for (tenant, user) in gone.iter() {
            if *tenant == self.key.0 && facts.friends.contains_key(user) {
                let text = ServerFrame::Presence {
                    user_id: *user,
                    online: false,
                    last_online_time: now,
                }
                .to_text();
                self.deliver(&text, None);
            }
        }
    }
}

/// Close this user's sockets on this pod: all, those of one key (a session, or a token
/// without one), or all but those; each may be told why first. Pods relay it as it is.
#[derive(Message, Clone, Debug, serde::Serialize, serde::Deserialize)]
#[rtype(result = "()")]
pub struct CloseSessions {
    #[serde(alias = "token_key")]
    pub key: Option<String>,
    /// With `key`: every socket but those of it.
    #[serde(default)]
    pub except: bool,
    pub code: u16,
    pub reason: String,
    /// A frame pushed to each before it closes (`sessionReplaced`).
    #[serde(default)]
    pub notice: Option<String>,
}

impl CloseSessions {
    /// Every socket of the user.
    pub fn all(code: u16, reason: &str) -> Self {
        CloseSessions {
            key: None,
            except: false,
            code,
            reason: reason.to_string(),
            notice: None,
        }
    }

    /// The sockets of one session (or of a token without one).
    pub fn of(key: &str, code: u16, reason: &str) -> Self {
        CloseSessions {
            key: Some(key.to_string()),
            ..Self::all(code, reason)
        }
    }

    /// Every socket but those of one session.
    pub fn all_but(key: &str, code: u16, reason: &str) -> Self {
        CloseSessions {
            except: true,
            ..Self::of(key, code, reason)
        }
    }

    /// Pushes `frame` to each socket before it closes.
    pub fn telling(mut self, frame: String) -> Self {
        self.notice = Some(frame);
        self
    }

    fn closes(&self, key: &str) -> bool {
        self.key
            .as_deref()
            .is_none_or(|k| (k == key) != self.except)
    }
}

impl Handler<CloseSessions> for UserActor {
    type Result = ();

    fn handle(&mut self, msg: CloseSessions, _: &mut Context<Self>) {
        for session in self.sessions.values() {
            if msg.closes(&session.close_key) {
                if let Some(notice) = &msg.notice {
                    session.push(notice.clone().into());
                }
                session.close(msg.code, msg.reason.clone());
            }
        }
    }
}

/// Every pod has heard that this user has new sessions here (`cluster::arrivals`): push them
/// what was committed for the user since they opened, which a pod that did not know of them
/// yet delivered nowhere. The sessions drop what they already have (`handle::FreshIds`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CatchUp;

/// How far before a session's opening a caught-up message may have been stamped: pods' clocks
/// differ, and a message is stamped before it commits.
const STAMP_SLACK: chrono::Duration = chrono::Duration::minutes(5);

/// Sessions opened longer ago than this are not caught up: they were known everywhere long
/// before, and their record of what they were sent is gone.
pub const CATCH_UP_WITHIN: chrono::Duration = chrono::Duration::seconds(10);

impl Handler<CatchUp> for UserActor {
    type Result = ();

    fn handle(&mut self, _: CatchUp, _: &mut Context<Self>) {
        let now = Utc::now();
        let fresh: Vec<SessionHandle> = self
            .sessions
            .values()
            .filter(|s| s.arrived.is_some() && now - s.info.since < CATCH_UP_WITHIN)
            .cloned()
            .collect();
        let Some(point) =
            fresh
                .iter()
                .filter_map(|s| s.arrived)
                .reduce(|a, b| crate::store::SyncCursor {
                    user: a.user.min(b.user),
                    group: a.group.min(b.group),
                    changes: a.changes.min(b.changes),
                })
        else {
            return;
        };
        let opened = fresh.iter().map(|s| s.info.since).min().unwrap_or(now);
        let first_id = crate::ids::IdGenerator::first_id_at(opened - STAMP_SLACK);
        let groups = self.my_groups().unwrap_or_default();
        let (store, (tenant, user)) = (self.state.store.clone(), self.key);
        actix_rt::spawn(async move {
            let messages = match store
                .messages_after(tenant, user, &groups, point, first_id)
                .await
            {
                Ok(messages) => messages,
                Err(e) => {
                    tracing::warn!(error = %e, "could not catch a new session up");
                    let text = ServerFrame::Notice {
                        kind: "sync".into(),
                        data: serde_json::json!({ "reason": "catchUp" }),
                    }
                    .to_text();
                    for session in &fresh {
                        session.push(text.clone());
                    }
                    return;
                }
            };
            // What the messages show beside themselves (a reply's preview); without it (the
            // database failed just now) they still go out.
            let all: Vec<_> = messages.iter().collect();
            let notes = store
                .annotations(tenant, user, &all)
                .await
                .unwrap_or_default();
            for message in &messages {
                let text = ServerFrame::Message {
                    message: crate::chat::wire::served(message, user, &notes),
                }
                .to_text();
                for session in &fresh {
                    session.push(text.clone());
                }
            }
        });
    }
}
