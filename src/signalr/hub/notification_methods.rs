//! The notifications hub's methods, as ABP's `NotificationsHub` names them:
//! `my-subscriptions`, `get-notifications` (the ten newest unread) and `change-state(id,
//! readState)`, and this product's `refresh`. Each calls the inbox core the HTTP routes call
//! (`notifications::inbox`), off the actor, and completes the invocation with its answer.

use actix_web_actors::ws;
use serde_json::{json, Value};

use super::methods::{Answered, Invocation};
use super::HubSession;
use crate::http::error::ApiError;
use crate::notifications::inbox;
use crate::store::{READ, UNREAD};

type Ctx = ws::WebsocketContext<HubSession>;

/// How many unread notifications `get-notifications` answers, as upstream.
const UNREAD_PAGE: u64 = 10;

impl HubSession {
    pub(super) fn on_notifications_invocation(
        &mut self,
        ctx: &mut Ctx,
        id: Option<String>,
        target: String,
        arguments: Vec<Value>,
    ) {
        let call = Invocation::new(id, target.clone());
        let owner = (self.identity.tenant_id, self.identity.user_id);
        let state = self.state.clone();
        match (target.to_ascii_lowercase().as_str(), arguments.as_slice()) {
            ("my-subscriptions", []) => self.answer_later(ctx, call, async move {
                let (_, names) = inbox::subscriptions(&state, owner, 0, 10_000).await?;
                let items: Vec<Value> = names
                    .into_iter()
                    .map(|name| {
                        json!({"tenantId": owner.0, "userId": owner.1, "notificationName": name})
                    })
                    .collect();
                Ok(Some(json!({ "items": items })))
            }),
            ("get-notifications", []) => self.answer_later(ctx, call, async move {
                let page = inbox::page(&state, owner, Some(UNREAD), 0, UNREAD_PAGE).await?;
                Ok(Some(json!({ "items": page.items })))
            }),
            ("change-state", [id, rest @ ..]) if rest.len() <= 1 => {
                let id = match id {
                    Value::String(s) => s.parse::<i64>().ok(),
                    Value::Number(n) => n.as_i64(),
                    _ => None,
                };
                let read_state = match rest.first() {
                    None => Some(READ),
                    Some(v) => v.as_i64().map(|v| v as i32),
                };
                let (Some(id), Some(read_state)) = (id, read_state) else {
                    return call.fail(ctx, bind_error(&target));
                };
                self.answer_later(ctx, call, async move {
                    inbox::mark(&state, owner, &[id], read_state).await?;
                    Ok(None)
                })
            }
            ("refresh", [Value::String(token)]) => {
                let token = token.clone();
                self.on_refresh(ctx, call, token)
            }
            ("my-subscriptions" | "get-notifications" | "change-state" | "refresh", _) => {
                call.fail(ctx, bind_error(&target))
            }
            _ => call.fail(ctx, format!("Unknown hub method '{target}'")),
        }
    }

    /// Runs `work` off the actor and completes `call` with what it gives.
    fn answer_later(
        &mut self,
        ctx: &mut Ctx,
        call: Invocation,
        work: impl std::future::Future<Output = Result<Option<Value>, ApiError>> + 'static,
    ) {
        use actix::AsyncContext;
        let hub = ctx.address();
        actix_rt::spawn(async move {
            let result = work.await;
            hub.do_send(Answered(Box::new(move |_, ctx| match result {
                Ok(value) => call.answer(ctx, value),
                Err(refused) => {
                    call.fail_with(ctx, Some((refused.code.as_str(), &refused.message)))
                }
            })));
        });
    }
}

/// SignalR's words for arguments that do not fit the method.
fn bind_error(target: &str) -> String {
    format!("Failed to invoke '{target}' due to an error on the server. InvalidDataException: Invocation provides arguments that do not match the method.")
}
