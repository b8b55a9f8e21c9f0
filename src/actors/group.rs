//! One actor per active group: its members, admins, silenced and blacklisted members and
//! flags, cached so that a group message is checked without a query. It stores the message,
//! acknowledges the sender and fans the same bytes out to every online member.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;
use uuid::Uuid;

use super::commit::Committed;
use super::receipt_pace::{Pace, ReceiptPace, RECEIPT_INTERVAL};
use super::GroupKey;
use crate::chat::rules;
use crate::chat::rules::mentions::check_mentions;
use crate::chat::rules::receipts::shows_readers;
use crate::chat::wire::wire;
use crate::cluster::GroupFrame;
use crate::offline_push::JobConversation;
use crate::protocol::{Code, Id, ServerFrame};
use crate::requests::{Draft, Origin};
use crate::state::AppState;
use crate::store::{Conversation, GroupFacts, StoredMessage};

/// How long a group actor with no traffic stays up.
const IDLE: Duration = Duration::from_secs(300);

/// The group actor.
pub struct GroupActor {
    state: Arc<AppState>,
    key: GroupKey,
    facts: Option<GroupFacts>,
    loaded: bool,
    last_active: Instant,
    receipts: ReceiptPace,
}

impl GroupActor {
    pub fn new(state: Arc<AppState>, key: GroupKey) -> Self {
        GroupActor {
            state,
            key,
            facts: None,
            loaded: false,
            last_active: Instant::now(),
            receipts: ReceiptPace::default(),
        }
    }

    fn load_facts(&mut self, ctx: &mut Context<Self>) {
        let (store, (tenant, group)) = (self.state.store.clone(), self.key);
        ctx.wait(
            async move { store.group_facts(tenant, group).await }
                .into_actor(self)
                .map(|result, act, _| match result {
                    Ok(facts) => {
                        act.facts = facts;
                        act.loaded = true;
                    }
                    Err(e) => {
                        act.loaded = false;
                        tracing::warn!(error = %e, "could not load a group's facts");
                    }
                }),
        );
    }

    /// The group's facts, or the error to answer with (and a reload when storage failed).
    fn facts(&mut self, ctx: &mut Context<Self>) -> Result<&GroupFacts, Code> {
        self.last_active = Instant::now();
        if !self.loaded {
            self.load_facts(ctx);
            return Err(Code::Unavailable);
        }
        self.facts.as_ref().ok_or(Code::GroupNotFound)
    }

    /// Delivers `frame` to the members with a session on this pod, straight into their
    /// sessions' mailboxes.
    fn deliver_here(&self, frame: &GroupFrame) {
        let Some(facts) = &self.facts else { return };
        let tenant = self.key.0;
        let supervisor = &self.state.delivery.supervisor;
        if let (Some(sender), Some(own)) = (frame.sender, &frame.own) {
            supervisor.push_to_user(&(tenant, sender), own, frame.except.as_ref());
        }
        let mut reached = 0;
        for member in &facts.members {
            if Some(*member) != frame.sender {
                reached += supervisor.push_to_user(&(tenant, *member), &frame.text, None);
            }
        }
        crate::metrics::metrics()
            .messages_delivered
            .with_label_values(&["group"])
            .inc_by(reached as u64);
    }

    /// Delivers `frame` here and to the other pods holding members (one publish each).
    fn publish(&self, frame: GroupFrame) {
        self.deliver_here(&frame);
        if let Some(facts) = &self.facts {
            self.state
                .delivery
                .bus
                .to_group(self.key, &facts.members, &frame);
        }
    }
}

impl Actor for GroupActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.load_facts(ctx);
        ctx.run_interval(RECEIPT_INTERVAL * 10, |act, _| {
            act.receipts.forget_idle(Instant::now());
        });
        ctx.run_interval(IDLE / 2, |act, ctx| {
            if act.last_active.elapsed() >= IDLE {
                act.state
                    .delivery
                    .supervisor
                    .forget_group(&act.key, &ctx.address());
                ctx.stop();
            }
        });
    }
}

/// The group changed in the database (members, admins, flags): load it again.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload;

impl Handler<Reload> for GroupActor {
    type Result = ();

    fn handle(&mut self, _: Reload, ctx: &mut Context<Self>) {
        self.load_facts(ctx);
    }
}

/// A message to the group.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendGroup {
    pub origin: Origin,
    pub draft: Draft,
}

impl Handler<SendGroup> for GroupActor {
    type Result = ();

    fn handle(&mut self, SendGroup { origin, mut draft }: SendGroup, ctx: &mut Context<Self>) {
        let checked = self.facts(ctx).and_then(|facts| {
            rules::check_group(facts, origin.user_id, draft.is_anonymous, Utc::now())?;
            check_mentions(facts, origin.user_id, &mut draft.mentions)
        });
        if let Err(code) = checked {
            origin.fail(code);
            return;
        }
        if self.state.config.node.fault_injection && draft.content == crate::state::PANIC_CONTENT {
            panic!("fault injection: a group actor was asked to panic");
        }
        let message = draft.stamp(
            &self.state,
            self.key.0,
            &origin,
            Conversation::Group(self.key.1),
        );
        super::commit::queue(&self.state, origin, message, ctx.address());
    }
}

impl Handler<Committed> for GroupActor {
    type Result = ();

    fn handle(&mut self, committed: Committed, _: &mut Context<Self>) {
        let Some((origin, message)) = committed.acknowledge() else {
            return;
        };
        let mut seen = wire(&message);
        let own = ServerFrame::Message {
            message: seen.clone(),
        }
        .to_text();
        if message.is_anonymous {
            seen.from_user_id = None;
            seen.from_user_name = None;
        }
        let text = if message.is_anonymous {
            ServerFrame::Message { message: seen }.to_text()
        } else {
            own.clone()
        };
        if self.state.push_jobs.enabled() {
            if let Some(facts) = &self.facts {
                let tenant = self.key.0;
                let receivers: Vec<_> = facts
                    .members
                    .iter()
                    .filter(|m| **m != origin.user_id)
                    .map(|m| (tenant, *m))
                    .collect();
                let sender = (!message.is_anonymous).then_some(message.from_name.as_str());
                self.state.push_jobs.offer_message(
                    &self.state.delivery.supervisor,
                    &receivers,
                    JobConversation::Group(self.key.1.to_string()),
                    message.message_id,
                    sender,
                    &message.content,
                );
            }
        }
        // The sender's own devices get the full message; the sending device already has it.
        self.publish(GroupFrame {
            sender: Some(origin.user_id),
            except: origin.connection_id(),
            own: Some(own),
            text,
        });
    }
}

impl Message for GroupFrame {
    type Result = ();
}

/// Another pod sends a group frame here when this pod holds members of the group.
impl Handler<GroupFrame> for GroupActor {
    type Result = ();

    fn handle(&mut self, frame: GroupFrame, ctx: &mut Context<Self>) {
        if self.facts(ctx).is_ok() {
            self.deliver_here(&frame);
        }
    }
}

/// A frame for the group's members on every pod (an administrator's recall, …).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Announce(pub GroupFrame);

impl Handler<Announce> for GroupActor {
    type Result = ();

    fn handle(&mut self, Announce(frame): Announce, ctx: &mut Context<Self>) {
        if self.facts(ctx).is_ok() {
            self.publish(frame);
        }
    }
}

/// A member read the group up to a message: in a group of at most
/// `limits.receipt_group_max` members, the others hear it, at most once a second per reader
/// (`ReceiptPace`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReadBy {
    pub reader: Uuid,
    pub message_id: i64,
}

impl Handler<ReadBy> for GroupActor {
    type Result = ();

    fn handle(&mut self, read: ReadBy, ctx: &mut Context<Self>) {
        let max = self.state.config.limits.receipt_group_max;
        if !self.facts(ctx).is_ok_and(|f| shows_readers(f, max)) {
            return;
        }
        match self
            .receipts
            .read(read.reader, read.message_id, Instant::now())
        {
            Pace::Now(message_id) => self.tell_read(read.reader, message_id),
            Pace::Later(after) => {
                ctx.run_later(after, move |act, _| {
                    if let Some(message_id) = act.receipts.flush(read.reader, Instant::now()) {
                        act.tell_read(read.reader, message_id);
                    }
                });
            }
            Pace::Held => {}
        }
    }
}

impl GroupActor {
    /// Tells the members but `reader` (on every pod) that `reader` read up to `message_id`.
    fn tell_read(&self, reader: Uuid, message_id: i64) {
        let frame = ServerFrame::Read {
            message_id: Id(message_id),
            reader_user_id: reader,
            group_id: Some(Id(self.key.1)),
            peer_user_id: None,
        };
        self.publish(GroupFrame {
            sender: Some(reader),
            except: None,
            own: None,
            text: frame.to_text(),
        });
    }
}

/// Someone is typing in the group.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TypingInGroup(pub uuid::Uuid);

impl Handler<TypingInGroup> for GroupActor {
    type Result = ();

    fn handle(&mut self, TypingInGroup(user): TypingInGroup, ctx: &mut Context<Self>) {
        if self.facts(ctx).is_ok_and(|f| f.members.contains(&user)) {
            let text = ServerFrame::Typing {
                user_id: user,
                group_id: Some(Id(self.key.1)),
            }
            .to_text();
            self.publish(GroupFrame {
                sender: Some(user),
                except: None,
                own: None,
                text,
            });
        }
    }
}

/// Recall of a group message: by its sender within the window, by an admin at any time.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RecallInGroup {
    pub origin: Origin,
    pub message: StoredMessage,
}

impl Handler<RecallInGroup> for GroupActor {
    type Result = ();

    fn handle(
        &mut self,
        RecallInGroup { origin, message }: RecallInGroup,
        ctx: &mut Context<Self>,
    ) {
        let window =
            chrono::Duration::seconds(self.state.config.limits.recall_window_seconds as i64);
        let allowed = self.facts(ctx).and_then(|facts| {
            crate::chat::rules::groups::may_recall(
                facts,
                origin.user_id,
                message.from,
                message.send_time,
                Utc::now(),
                window,
            )
        });
        if let Err(code) = allowed {
            origin.fail(code);
            return;
        }
        let store = self.state.store.clone();
        let message_id = message.message_id;
        ctx.spawn(
            async move { store.recall_message(&message).await }
                .into_actor(self)
                .map(move |result, act, _| match result {
                    Ok(()) => {
                        origin.done();
                        let text = ServerFrame::Recalled {
                            message_id: Id(message_id),
                            group_id: Some(Id(act.key.1)),
                            peer_user_id: None,
                            by_user_id: origin.user_id,
                            by_user_name: Some(origin.user_name.clone()),
                        }
                        .to_text();
                        act.publish(GroupFrame {
                            sender: None,
                            except: None,
                            own: None,
                            text,
                        });
                    }
                    Err(_) => origin.fail(Code::Unavailable),
                }),
        );
    }
}
