//! A user's own account as data: the export holds everything about it, page after page; a
//! deletion takes the account, its friendships, memberships and sessions, and keeps or erases
//! what it sent as `accounts.deletion` says.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_group, to_user, WsClient};

/// Sends `n` private messages without waiting, then waits for every ack.
async fn send_many(c: &mut WsClient, to: &str, n: usize) {
    for i in 0..n {
        c.send(json!({"type": "send", "toUserId": to, "content": format!("bulk {i}"), "id": format!("b{i}")}))
            .await;
    }
    let mut acked = 0;
    while acked < n {
        let frame = c.next_frame().await;
        if frame["type"] == "ack" && frame["id"].as_str().is_some_and(|id| id.starts_with('b')) {
            acked += 1;
        }
        assert_ne!(frame["type"], "error", "{frame}");
    }
}

async fn history(app: &TestApp, token: &str, peer: &str) -> Vec<Value> {
    let path = format!("/api/im/chat/my-messages?receiveUserId={peer}&maxResultCount=1000");
    let (status, page) = app.call("GET", &path, Some(token), None).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

on_both_databases!(
    an_account_exports_everything_and_deletes_leaving_its_messages_anonymous,
    |db: TestDb| async move {
        let mut config = db.config();
        // The bulk send below comes faster than a person types.
        config.limits.rate_burst = 1000;
        config.limits.rate_per_second = 1000;
        let app = TestApp::start(config).await;
        let dora_name = unique("dora");
        let (dora, dt) = app.user(&dora_name).await;
        let (fred, ft) = app.user(&unique("fred")).await;
        let (gus, gt) = app.user(&unique("gus")).await;
        app.befriend(&dora, &fred).await;
        let group = app.group(&gus, &[&dora, &fred]).await;
        let mut d = WsClient::connect(&app, &dt).await;
        let mut f = WsClient::connect(&app, &ft).await;
        assert_eq!(d.request(to_user(&fred, "from dora")).await["type"], "ack");
        assert_eq!(f.request(to_user(&dora, "to dora")).await["type"], "ack");
        assert_eq!(
            d.request(to_group(group, "dora in the group")).await["type"],
            "ack"
        );
        send_many(&mut d, &fred, 230).await;

        // The export: card, settings, friends, groups, and every message, across pages.
        let (status, export) = app
            .call("GET", "/api/auth/me/export", Some(&dt), None)
            .await;
        assert_eq!(status, 200, "{export}");
        assert_eq!(export["userId"], dora.as_str());
        assert!(export["card"]["userName"]
            .as_str()
            .unwrap()
            .starts_with("dora"));
        assert_eq!(export["settings"]["allowAddFriend"], true);
        assert_eq!(export["friends"][0]["userId"], fred.as_str());
        assert_eq!(export["groups"][0]["groupId"], group.to_string());
        let private = export["privateMessages"].as_array().unwrap();
        assert_eq!(private.len(), 232, "sent and received, every page");
        let ids: Vec<u64> = private
            .iter()
            .map(|m| m["messageId"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, each once");
        assert_eq!(export["groupMessages"].as_array().unwrap().len(), 1);
        assert_eq!(export["groupMessages"][0]["content"], "dora in the group");

        // An owner must hand over first; a wrong password is refused.
        let own = app.group(&dora, &[]).await;
        let delete = |password: &str| json!({"password": password});
        let (status, owns) = app
            .call(
                "DELETE",
                "/api/auth/me",
                Some(&dt),
                Some(delete("password-123")),
            )
            .await;
        assert_eq!(status, 409, "{owns}");
        assert!(
            owns["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&own.to_string()),
            "{owns}"
        );
        let (status, _) = app
            .call("DELETE", &format!("/api/im/groups/{own}"), Some(&dt), None)
            .await;
        assert_eq!(status, 204);
        let (status, wrong) = app
            .call(
                "DELETE",
                "/api/auth/me",
                Some(&dt),
                Some(delete("wrong-password")),
            )
            .await;
        assert_eq!(status, 401, "{wrong}");
        crate::push_jobs::register_token(&app, &dt, "dora-device").await;
        let dora_id: uuid::Uuid = dora.parse().unwrap();
        let store = &app.state().store;
        assert_eq!(store.push_tokens(&[dora_id]).await.unwrap().len(), 1);

        let (status, _) = app
            .call(
                "DELETE",
                "/api/auth/me",
                Some(&dt),
                Some(delete("password-123")),
            )
            .await;
        assert_eq!(status, 204);
        assert!(
            store.push_tokens(&[dora_id]).await.unwrap().is_empty(),
            "her devices' push tokens go with her"
        );
        assert_eq!(d.closed().await, Some(4001));
        assert_eq!(
            app.call("GET", "/api/auth/me", Some(&dt), None).await.0,
            401
        );
        let (_, card) = app
            .call(
                "GET",
                &format!("/api/im/users/{dora}/card"),
                Some(&ft),
                None,
            )
            .await;
        assert_eq!(card["error"]["code"], "IM:NotFound", "{card}");
        let (_, friends) = app
            .call("GET", "/api/im/my-friends/all", Some(&ft), None)
            .await;
        assert_eq!(friends["items"].as_array().unwrap().len(), 0, "{friends}");
        let path = format!("/api/im/user-groups?groupId={group}&maxResultCount=100");
        let (_, members) = app.call("GET", &path, Some(&gt), None).await;
        assert!(
            members["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["userId"] != dora.as_str()),
            "{members}"
        );
        // Her messages stay, shown as a deleted user's; a message to her group still works.
        let kept = history(&app, &ft, &dora).await;
        let hers = kept.iter().find(|m| m["content"] == "from dora").unwrap();
        assert_eq!(hers["fromUserName"], "Deleted user", "{hers}");
        assert!(kept.iter().any(|m| m["content"] == "to dora"));
        assert_eq!(
            f.request(to_group(group, "after dora")).await["type"],
            "ack"
        );
        let body = json!({"userName": dora_name, "password": "password-123"});
        assert_eq!(
            app.call("POST", "/api/auth/login", None, Some(body))
                .await
                .0,
            401
        );
        app.stop().await;
    }
);

on_both_databases!(
    an_erased_account_takes_what_it_sent,
    |db: TestDb| async move {
        let mut config = db.config();
        config.accounts.deletion = imcluster::config::AccountDeletion::Erase;
        let app = TestApp::start(config).await;
        let (eve, et) = app.user(&unique("eve")).await;
        let (hal, ht) = app.user(&unique("hal")).await;
        app.befriend(&eve, &hal).await;
        let mut e = WsClient::connect(&app, &et).await;
        let mut h = WsClient::connect(&app, &ht).await;
        let sent = e.request(to_user(&hal, "erase me")).await;
        assert_eq!(
            e.request(
                json!({"type": "edit", "messageId": sent["messageId"], "content": "erase me too"})
            )
            .await["type"],
            "ack"
        );
        assert_eq!(
            h.request(to_user(&eve, "hal's own words")).await["type"],
            "ack"
        );
        let (_, photo) =
            crate::media::upload(&app, &et, "eve.png", crate::media::png(20, 20)).await;
        let photo_path = format!("/api/im/media/{}", photo["mediaId"].as_str().unwrap());
        let pic = json!({"type": "send", "content": "", "toUserId": hal, "messageType": 10,
                         "media": {"mediaId": photo["mediaId"]}});
        assert_eq!(e.request(pic).await["type"], "ack");
        assert_eq!(
            crate::media::download(&app, &ht, &photo_path, &[]).await.0,
            200
        );
        let (status, _) = app
            .call(
                "DELETE",
                "/api/auth/me",
                Some(&et),
                Some(json!({"password": "password-123"})),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(
            crate::media::download(&app, &ht, &photo_path, &[]).await.0,
            404,
            "her erased picture is no longer hal's to read"
        );
        let left = history(&app, &ht, &eve).await;
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0]["content"], "hal's own words");
        let (_, page) = app.call("GET", "/api/im/chat/sync", Some(&ht), None).await;
        let all = page["messages"].as_array().unwrap();
        assert!(
            all.iter().all(|m| m["messageId"] != sent["messageId"]),
            "{page}"
        );
        app.stop().await;
    }
);
