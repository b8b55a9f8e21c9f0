//! Queuing a message for the writer and hearing its commit back as an actor message.
//!
//! An actor must not await each commit with `ctx.spawn`: actix polls every future an actor has
//! spawned each time the actor wakes, so N commits in flight cost N polls per wake and N² in
//! all. In the 30-minute soak a backlog of a few thousand sends to one actor did exactly that:
//! the pod's two threads spun in those polls, commits stopped keeping up, and the backlog (and
//! memory) grew without end. Here the writer itself posts each outcome to the actor's mailbox
//! when the batch commits: one message, and no task, channel or future per message.

use actix::dev::ToEnvelope;
use actix::prelude::*;

use crate::requests::Origin;
use crate::state::AppState;
use crate::store::{NewMessage, StoreError, Stored};

/// What the writer said about one message.
pub type Outcome = Result<Stored, StoreError>;

/// A queued message's commit is over: acknowledge the sender and deliver it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Committed {
    pub origin: Origin,
    pub message: NewMessage,
    pub outcome: Outcome,
}

impl Committed {
    /// Answers the sender; the origin and message when they are to be delivered (stored now,
    /// not refused and not a duplicate).
    pub fn acknowledge(self) -> Option<(Origin, NewMessage)> {
        let Committed {
            origin,
            message,
            outcome,
        } = self;
        origin
            .acknowledge(&message, outcome)
            .then_some((origin, message))
    }
}

/// Queues `message`; `actor` gets [`Committed`] when its batch commits (or fails).
pub fn queue<A>(state: &AppState, origin: Origin, message: NewMessage, actor: Addr<A>)
where
    A: Actor + Handler<Committed>,
    A::Context: ToEnvelope<A, Committed>,
{
    let kept = message.clone();
    state.writer.queue(message, move |outcome| {
        actor.do_send(Committed {
            origin,
            message: kept,
            outcome,
        })
    });
}
