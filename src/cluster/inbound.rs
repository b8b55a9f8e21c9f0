//! What this pod does with what it hears on Redis: relays from other pods and backend pushes,
//! handed to the pod (`Pod`) to carry out on its sessions.

use std::sync::Arc;

use super::link::Conn;
use bytestring::ByteString;
use redis::RedisResult;
use serde::Deserialize;
use uuid::Uuid;

use super::redis_bus::Shared;
use super::subscriber::{pod_gone, resync_pod};
use super::{Applied, GroupFrame, Packet, Pod, Push, PushTarget, Relay};

/// A push as backend services publish it on `im.default.send*` (`API.md`, "Push").
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackendPush {
    method: String,
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    tenant_id: Option<Uuid>,
    #[serde(default)]
    user_id: Option<Uuid>,
    #[serde(default)]
    connection_id: Option<String>,
    /// Set by a pod relaying a tenant's push to a connection: the connection must be of
    /// `tenant_id`.
    #[serde(default)]
    only_tenant: bool,
    /// Set when a pod relays a push it took over HTTP (and already delivered itself).
    #[serde(default)]
    origin: Option<String>,
}

/// Handles one message from a channel. An error means the Redis link failed.
pub async fn handle(
    pod: &Arc<dyn Pod>,
    shared: &Shared,
    conn: &mut Conn,
    msg: redis::Msg,
) -> RedisResult<()> {
    let n = &shared.names;
    let channel = msg.get_channel_name();
    let payload = msg.get_payload_bytes();
    if channel == n.cluster() || channel == n.pod(&n.node) {
        match serde_json::from_slice::<Packet>(payload) {
            Ok(packet) if packet.from != n.node => apply(pod, shared, conn, packet).await?,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, channel, "an unreadable packet on the bus"),
        }
        return Ok(());
    }
    if channel == n.notifications() {
        // Every pod hears it; the one that claims it first publishes it, once.
        let digest = crate::auth::sha256_hex(&String::from_utf8_lossy(payload));
        let claimed: Option<String> = redis::cmd("SET")
            .arg(n.notification_claim(&digest))
            .arg(&n.node)
            .arg("NX")
            .arg("PX")
            .arg(60_000)
            .query_async(conn)
            .await?;
        if claimed.is_some() {
            pod.publish_notification(payload.to_vec());
        }
        return Ok(());
    }
    let push = match serde_json::from_slice::<BackendPush>(payload) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, channel, "a push that is not {{method, data, …}}");
            return Ok(());
        }
    };
    if push.origin.as_deref() == Some(n.node.as_str()) || push.method.is_empty() {
        return Ok(());
    }
    if super::push::is_reserved_method(&push.method) {
        tracing::warn!(channel, method = %push.method, "a push under a hub callback's name, dropped");
        return Ok(());
    }
    let target = if channel == n.send_broadcast() {
        PushTarget::Broadcast {
            tenant_id: push.tenant_id,
        }
    } else if channel == n.send_user() {
        let Some(user_id) = push.user_id else {
            tracing::warn!(channel, "a push to a user without `userId`");
            return Ok(());
        };
        PushTarget::User {
            tenant_id: push.tenant_id,
            user_id,
        }
    } else {
        let Some(connection_id) = push.connection_id else {
            tracing::warn!(channel, "a push to a connection without `connectionId`");
            return Ok(());
        };
        PushTarget::Connection {
            connection_id,
            only_tenant: push
                .only_tenant
                .then_some(super::push::TenantScope(push.tenant_id)),
        }
    };
    let push = Push {
        target,
        method: push.method,
        data: push.data,
    };
    pod.push(push);
    Ok(())
}

/// Applies a relay from pod `packet.from` to this pod.
async fn apply(
    pod: &Arc<dyn Pod>,
    shared: &Shared,
    conn: &mut Conn,
    packet: Packet,
) -> RedisResult<()> {
    let from = packet.from;
    match packet.relay {
        Relay::Users {
            users,
            except,
            text,
        } => {
            let text = ByteString::from(text);
            let except: Option<Arc<str>> = except.map(Arc::from);
            pod.to_users(&users, except.as_ref(), &text);
        }
        Relay::Group {
            group,
            sender,
            except,
            own,
            text,
        } => pod.to_group(
            group,
            GroupFrame {
                sender,
                except: except.map(Arc::from),
                own: own.map(ByteString::from),
                text: ByteString::from(text),
            },
        ),
        Relay::ReloadUser { user } => pod.reload_user(&user),
        Relay::ReloadGroup { group } => pod.reload_group(&group),
        Relay::Presence {
            seq,
            user,
            online,
            announce,
            friends,
            at,
        } => {
            if !shared.presence_delay.is_zero() {
                tokio::time::sleep(shared.presence_delay).await;
            }
            if shared.directory.apply(&from, seq, user, online) == Applied::Gap {
                resync_pod(pod, shared, conn, &from).await?;
            }
            if announce {
                pod.friend_presence(user, online, at, &friends);
            }
            if online {
                // The pod that announced it catches its new session up once all have heard.
                let heard = shared.packet(Relay::Heard { seq });
                shared.publish_to_pods(vec![Arc::from(from.as_str())], heard);
            }
        }
        Relay::Heartbeat { seq } => {
            if shared.directory.heartbeat(&from, seq) {
                resync_pod(pod, shared, conn, &from).await?;
            }
        }
        Relay::Leaving => pod_gone(pod, shared, &from),
        Relay::Close { user, close } => pod.close_sessions(&user, close),
        Relay::Heard { seq } => shared.arrivals.heard(pod, &from, seq),
        Relay::Missed => pod.tell_sessions_to_sync("bus"),
        Relay::Everyone { tenant, text } => {
            pod.to_everyone(tenant, &ByteString::from(text));
        }
    }
    Ok(())
}
