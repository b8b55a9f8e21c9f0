//! How every hook call leaves: a JSON POST from the worker thread's kept-alive connection
//! pool (awc's client is per thread), with its event id (a call that carries several events
//! has none: each event in the body has its own), the time, and the signatures.

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder().disable_timeout().finish();
}

/// A POST of `body` to `url` for event (or request) `event_id`, signed with `secrets`.
pub(crate) fn signed_post(
    url: &str,
    event_id: Option<&str>,
    secrets: &[String],
    body: &str,
) -> awc::ClientRequest {
    let timestamp = chrono::Utc::now().timestamp();
    let mut request = CLIENT
        .with(|c| c.post(url))
        .insert_header(("Content-Type", "application/json"))
        .insert_header((super::TIMESTAMP_HEADER, timestamp.to_string()));
    if let Some(id) = event_id {
        request = request.insert_header(("X-IM-Event-Id", id.to_string()));
    }
    match super::sign(secrets, timestamp, body.as_bytes()) {
        Some(signature) => request.insert_header((super::SIGNATURE_HEADER, signature)),
        None => request,
    }
}
