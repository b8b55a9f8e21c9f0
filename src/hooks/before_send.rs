//! The before-send hook: the node POSTs each message it covers to `hooks.before_send.url`
//! before storing it, and the answer allows it, rejects it (`IM:Rejected` with the hook's
//! reason), or modifies its content and `extra`. Calls run beside each other over a kept-alive
//! connection pool (one per worker thread); a slow hook delays only the sends waiting on it.
//! A failure (timeout, an error status, an answer that is not one of the three) applies
//! `on_failure`, and so does an open breaker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::breaker::Breaker;
use crate::config::{BeforeSendConfig, Config, OnFailure};
use crate::requests::{Draft, Origin};
use crate::store::Conversation;

/// What the hook decided about a message.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Allow,
    /// Store it with this content and `extra` instead.
    Modify {
        content: String,
        extra: Map<String, Value>,
    },
    /// Refuse it, telling the sender why.
    Reject {
        reason: String,
    },
    /// The hook failed and `on_failure` is `reject`.
    Unavailable,
}

/// The hook's answer as it comes.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
enum Answer {
    Allow,
    Reject {
        #[serde(default)]
        error: Option<Refusal>,
    },
    Modify {
        message: Modified,
    },
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct Modified {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    extra: Option<Map<String, Value>>,
}

/// The hook as this pod calls it.
pub struct BeforeSend {
    config: BeforeSendConfig,
    secrets: Vec<String>,
    groups: Vec<i64>,
    breaker: Breaker,
}

impl BeforeSend {
    /// The hook of `config`, if one is configured.
    pub fn from_config(config: &Config) -> Option<Arc<BeforeSend>> {
        let hook = &config.hooks.before_send;
        (!hook.url.is_empty()).then(|| {
            Arc::new(BeforeSend {
                groups: hook.groups.iter().filter_map(|g| g.parse().ok()).collect(),
                breaker: Breaker::new(
                    hook.breaker_failures,
                    Duration::from_secs(hook.breaker_seconds),
                ),
                secrets: config.hooks.secrets.clone(),
                config: hook.clone(),
            })
        })
    }

    /// Whether a message of `message_type` to `to` is the hook's to judge.
    pub fn covers(&self, to: Conversation, message_type: i32) -> bool {
        let typed = self.config.message_types.is_empty()
            || self.config.message_types.contains(&message_type);
        let placed = match to {
            _ if self.groups.is_empty() => true,
            Conversation::Group(g) => self.groups.contains(&g),
            Conversation::User(_) => false,
        };
        typed && placed
    }

    /// Asks the hook about `draft`, from `origin` to `to`.
    pub async fn ask(&self, origin: &Origin, to: Conversation, draft: &Draft) -> Verdict {
        let metrics = crate::metrics::metrics();
        if !self.breaker.admits() {
            metrics
                .hook_calls
                .with_label_values(&["breaker_open"])
                .inc();
            return self.failed();
        }
        let started = Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_millis(self.config.timeout_ms),
            self.call(origin, to, draft),
        )
        .await;
        metrics
            .hook_seconds
            .observe(started.elapsed().as_secs_f64());
        let (outcome, verdict) = match answer {
            Ok(Some(Answer::Allow)) => ("allow", Verdict::Allow),
            Ok(Some(Answer::Reject { error })) => {
                let error = error.unwrap_or(Refusal {
                    code: None,
                    reason: None,
                });
                let reason = error
                    .reason
                    .unwrap_or_else(|| "refused by moderation".into());
                let reason = match error.code {
                    Some(code) => format!("{reason} ({code})"),
                    None => reason,
                };
                ("reject", Verdict::Reject { reason })
            }
            Ok(Some(Answer::Modify { message })) => (
                "modify",
                Verdict::Modify {
                    content: message.content.unwrap_or_else(|| draft.content.clone()),
                    extra: message.extra.unwrap_or_else(|| draft.extra.clone()),
                },
            ),
            Ok(None) | Err(_) => {
                metrics.hook_calls.with_label_values(&["failed"]).inc();
                if self.breaker.failed() {
                    tracing::warn!(url = %self.config.url, "before-send hook failing: breaker open");
                }
                metrics
                    .hook_breaker_open
                    .set(i64::from(self.breaker.is_open()));
                return self.failed();
            }
        };
        self.breaker.succeeded();
        metrics.hook_breaker_open.set(0);
        metrics.hook_calls.with_label_values(&[outcome]).inc();
        verdict
    }

    fn failed(&self) -> Verdict {
        match self.config.on_failure {
            OnFailure::Allow => Verdict::Allow,
            OnFailure::Reject => Verdict::Unavailable,
        }
    }

    /// One call: the answer, or none when the call or its answer failed.
    async fn call(&self, origin: &Origin, to: Conversation, draft: &Draft) -> Option<Answer> {
        let request_id = Uuid::new_v4().simple().to_string();
        let conversation = match to {
            Conversation::User(user) => json!({"type": "private", "toUserId": user}),
            Conversation::Group(group) => json!({"type": "group", "groupId": group.to_string()}),
        };
        let body = json!({
            "event": "message.beforeSend",
            "requestId": request_id,
            "message": {
                "content": draft.content,
                "messageType": draft.message_type,
                "isAnonymous": draft.is_anonymous,
                "extra": draft.extra,
                "clientMsgId": draft.client_msg_id,
                "replyTo": draft.reply_to.as_ref().map(|m| m.message_id.to_string()),
            },
            "sender": {
                "userId": origin.user_id,
                "userName": origin.user_name,
                "tenantId": origin.tenant_id,
            },
            "conversation": conversation,
        })
        .to_string();
        let request =
            super::call::signed_post(&self.config.url, Some(&request_id), &self.secrets, &body);
        let mut response = request.send_body(body).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let bytes = response.body().limit(256 * 1024).await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}
