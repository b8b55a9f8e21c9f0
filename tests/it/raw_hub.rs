//! A hub client that speaks the SignalR JSON protocol by hand over a WebSocket, for what the
//! real client would hide (records as sent, Completion errors, Close records).

use serde_json::Value;

use crate::helpers::TestApp;

/// A bare WebSocket to the hub, for what the real client never sends.
pub struct RawHub {
    framed: actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>,
}

impl RawHub {
    pub async fn open(app: &TestApp, query: &str) -> Result<RawHub, u16> {
        let url = format!(
            "{}/signalr-hubs/messages?{query}",
            app.base.replace("http://", "ws://")
        );
        match app.client.ws(url).max_frame_size(1 << 20).connect().await {
            Ok((_, framed)) => Ok(RawHub { framed }),
            Err(awc::error::WsClientError::InvalidResponseStatus(s)) => Err(s.as_u16()),
            Err(e) => panic!("{e}"),
        }
    }

    pub async fn send(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.framed
            .send(awc::ws::Message::Text(text.to_string().into()))
            .await
            .unwrap();
    }

    /// The next records (one text frame), or `None` when the server closed.
    pub async fn records(&mut self) -> Option<Vec<Value>> {
        use futures_util::StreamExt;
        loop {
            let frame =
                tokio::time::timeout(std::time::Duration::from_secs(10), self.framed.next())
                    .await
                    .expect("the hub answers in time");
            match frame {
                Some(Ok(awc::ws::Frame::Text(bytes))) => {
                    let text = std::str::from_utf8(&bytes).unwrap();
                    assert!(text.ends_with('\u{1e}'), "{text:?}");
                    return Some(
                        text.split_terminator('\u{1e}')
                            .map(|r| serde_json::from_str(r).unwrap())
                            .collect(),
                    );
                }
                Some(Ok(awc::ws::Frame::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next record that is not a ping.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            let records = self.records().await?;
            if let Some(r) = records.into_iter().find(|r| r["type"] != 6) {
                return Some(r);
            }
        }
    }
}

impl RawHub {
    /// A hub connection for `token`, past the handshake.
    pub async fn joined(app: &TestApp, token: &str) -> RawHub {
        let mut hub = RawHub::open(app, &format!("access_token={token}"))
            .await
            .unwrap_or_else(|status| panic!("the hub refused the token: {status}"));
        hub.send("{\"protocol\":\"json\",\"version\":1}\u{1e}")
            .await;
        assert_eq!(hub.next().await, Some(serde_json::json!({})), "handshake");
        hub
    }

    /// Invokes `target` with `arguments` and returns its Completion; the calls that come
    /// before it (a failure notice, say) are returned beside it.
    pub async fn invoke(
        &mut self,
        id: &str,
        target: &str,
        arguments: Value,
    ) -> (Value, Vec<Value>) {
        let record = serde_json::json!({"type": 1, "invocationId": id, "target": target, "arguments": arguments});
        self.send(&format!("{record}\u{1e}")).await;
        let mut before = Vec::new();
        loop {
            let record = self.next().await.expect("the hub answers");
            if record["type"] == 3 && record["invocationId"] == id {
                return (record, before);
            }
            before.push(record);
        }
    }
}

impl RawHub {
    /// Whether the server ends the TCP connection (after any frames, its close frame among
    /// them) within `within`, with this side never closing it.
    pub async fn ended_within(&mut self, within: std::time::Duration) -> bool {
        use futures_util::StreamExt;
        tokio::time::timeout(within, async {
            while let Some(Ok(_)) = self.framed.next().await {}
        })
        .await
        .is_ok()
    }
}
