//! Groups over HTTP: create, join and review, members, admins, silence, the blacklist,
//! leaving, transfer and dismissal, each taking effect in the running group actor at once.

use serde_json::json;

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_group, WsClient};

on_both_databases!(join_review_chat_leave_dismiss, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (owner, ot) = app.user(&unique("owner")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    let mut o = WsClient::connect(&app, &ot).await;
    let mut b = WsClient::connect(&app, &bt).await;

    let (status, g) = app
        .call(
            "POST",
            "/api/im/groups",
            Some(&ot),
            Some(json!({"name": "rustaceans", "notice": "be kind", "maxUserCount": 3})),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            g["groupUserCount"].as_u64(),
            g["maxUserLength"].as_i64(),
            g["notice"].as_str()
        ),
        (Some(1), Some(3), Some("be kind"))
    );
    assert_eq!(
        b.request(to_group(gid.parse().unwrap(), "let me in")).await["code"],
        "01401"
    );

    let (status, _) = app
        .call(
            "POST",
            "/api/im/user-groups/join",
            Some(&bt),
            Some(json!({"groupId": gid, "joinInfo": "hi, I'm bob"})),
        )
        .await;
    assert_eq!(status, 201);
    let n = o.next_notice("group.joinRequest").await;
    assert_eq!(
        (
            n["kind"].as_str(),
            n["data"]["userId"].as_str(),
            n["data"]["code"].as_i64()
        ),
        (Some("group.joinRequest"), Some(bob.as_str()), Some(204))
    );
    let (status, _) = app
        .call(
            "POST",
            "/api/im/user-groups/join",
            Some(&bt),
            Some(json!({"groupId": gid})),
        )
        .await;
    assert_eq!(status, 409, "one pending request at a time");
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/im/user-groups/requests?groupId={gid}"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(status, 403, "only admins review");
    let (_, reqs) = app
        .call(
            "GET",
            &format!("/api/im/user-groups/requests?groupId={gid}"),
            Some(&ot),
            None,
        )
        .await;
    assert_eq!(reqs["items"][0]["joinInfo"], "hi, I'm bob");
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/accept",
            Some(&ot),
            Some(json!({"userId": bob, "groupId": gid, "allowAccept": true})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        b.next_notice("group.joinAccepted").await["kind"],
        "group.joinAccepted"
    );
    assert_eq!(
        o.next_notice("group.memberJoined").await["kind"],
        "group.memberJoined"
    );

    // Bob chats at once.
    let ack = b.request(to_group(gid.parse().unwrap(), "thanks!")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(o.next_of("message").await["message"]["content"], "thanks!");
    let (_, members) = app
        .call(
            "GET",
            &format!("/api/im/user-groups?groupId={gid}"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(members["totalCount"], 2);
    let owner_row = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == owner.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            owner_row["isSuperAdmin"].as_bool(),
            owner_row["isAdmin"].as_bool(),
            owner_row["online"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );
    let (_, mine) = app
        .call("GET", "/api/im/user-groups/me", Some(&bt), None)
        .await;
    assert_eq!(mine["items"][0]["id"], gid.as_str());
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/im/user-groups?groupId={gid}"),
            Some(&ct),
            None,
        )
        .await;
    assert_eq!(status, 403, "non-members do not list members");

    // Silence, then lift it.
    let until = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/members",
            Some(&ot),
            Some(json!({"groupId": gid, "userId": bob, "silenceEnd": until})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        b.next_notice("group.silenced").await["kind"],
        "group.silenced"
    );
    assert_eq!(
        b.request(to_group(gid.parse().unwrap(), "mmph")).await["code"],
        "02403"
    );
    app.call(
        "PUT",
        "/api/im/user-groups/members",
        Some(&ot),
        Some(json!({"groupId": gid, "userId": bob, "silenceEnd": null})),
    )
    .await;
    assert_eq!(
        b.request(to_group(gid.parse().unwrap(), "free")).await["type"],
        "ack"
    );

    // The owner cannot leave; Bob can, and then cannot send.
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/im/user-groups/me?groupId={gid}"),
            Some(&ot),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/im/user-groups/me?groupId={gid}"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        o.next_notice("group.memberLeft").await["kind"],
        "group.memberLeft"
    );
    assert_eq!(
        b.request(to_group(gid.parse().unwrap(), "hello?")).await["code"],
        "01401"
    );

    // Carol is banned: she cannot join.
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/im/groups/{gid}/blacks"),
            Some(&ot),
            Some(json!({"userId": carol})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, err) = app
        .call(
            "POST",
            "/api/im/user-groups/join",
            Some(&ct),
            Some(json!({"groupId": gid})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("02403"))
    );

    // Dismissed: members are told, and the group is gone.
    let (status, _) = app
        .call("DELETE", &format!("/api/im/groups/{gid}"), Some(&bt), None)
        .await;
    assert_eq!(status, 403, "only the owner dismisses");
    let (status, _) = app
        .call("DELETE", &format!("/api/im/groups/{gid}"), Some(&ot), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        o.next_notice("group.dismissed").await["kind"],
        "group.dismissed"
    );
    assert_eq!(
        o.request(to_group(gid.parse().unwrap(), "anyone?")).await["code"],
        "02404"
    );
    let (status, err) = app
        .call("GET", &format!("/api/im/groups/{gid}"), Some(&ot), None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("02404"))
    );
    app.stop().await;
});

#[actix_rt::test]
async fn admins_full_groups_and_tenants() {
    let db = TestDb::new(Backend::Sqlite, "group_admin").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (owner, ot) = app.user(&unique("owner")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    let (_, dt) = app.user(&unique("dave")).await;
    let (_, g) = app
        .call(
            "POST",
            "/api/im/groups",
            Some(&ot),
            Some(json!({"name": "small", "maxUserCount": 2})),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_string();
    app.call(
        "POST",
        "/api/im/user-groups/join",
        Some(&bt),
        Some(json!({"groupId": gid})),
    )
    .await;
    app.call(
        "PUT",
        "/api/im/user-groups/accept",
        Some(&ot),
        Some(json!({"userId": bob, "groupId": gid, "allowAccept": true})),
    )
    .await;
    let (status, err) = app
        .call(
            "POST",
            "/api/im/user-groups/join",
            Some(&ct),
            Some(json!({"groupId": gid})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("IM:GroupFull"))
    );

    // Admins: only the owner appoints; an admin then edits the group; members cannot.
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/members",
            Some(&bt),
            Some(json!({"groupId": gid, "userId": bob, "isAdmin": true})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/members",
            Some(&ot),
            Some(json!({"groupId": gid, "userId": bob, "isAdmin": true})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, g) = app
        .call(
            "PUT",
            &format!("/api/im/groups/{gid}"),
            Some(&bt),
            Some(json!({"maxUserCount": 10, "notice": "bigger"})),
        )
        .await;
    assert_eq!(
        (status, g["maxUserLength"].as_i64()),
        (200, Some(10)),
        "{g}"
    );
    let (status, _) = app
        .call(
            "PUT",
            &format!("/api/im/groups/{gid}"),
            Some(&dt),
            Some(json!({"notice": "mine"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, err) = app
        .call(
            "PUT",
            &format!("/api/im/groups/{gid}"),
            Some(&ot),
            Some(json!({"name": "n".repeat(21)})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("IM:Validation"))
    );
    // Carol joins now that there is room; the admin accepts; the admin removes her again.
    app.call(
        "POST",
        "/api/im/user-groups/join",
        Some(&ct),
        Some(json!({"groupId": gid})),
    )
    .await;
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/accept",
            Some(&bt),
            Some(json!({"userId": carol, "groupId": gid, "allowAccept": true})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/remove",
            Some(&bt),
            Some(json!({"userId": owner, "groupId": gid})),
        )
        .await;
    assert_eq!(status, 403, "nobody removes the owner");
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/user-groups/remove",
            Some(&bt),
            Some(json!({"userId": carol, "groupId": gid})),
        )
        .await;
    assert_eq!(status, 204);
    // Transfer: Bob owns it now and the old owner may leave.
    let (status, g) = app
        .call(
            "PUT",
            &format!("/api/im/groups/{gid}/owner"),
            Some(&ot),
            Some(json!({"userId": bob})),
        )
        .await;
    assert_eq!(
        (status, g["adminUserId"].as_str()),
        (200, Some(bob.as_str()))
    );
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/im/user-groups/me?groupId={gid}"),
            Some(&ot),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // Another tenant's user cannot see the group at all.
    let tenant = uuid::Uuid::new_v4().to_string();
    let body = json!({"userName": unique("t"), "password": "password-123", "tenantId": tenant});
    app.call("POST", "/api/auth/register", None, Some(body.clone()))
        .await;
    let (_, login) = app.call("POST", "/api/auth/login", None, Some(body)).await;
    let other = login["accessToken"].as_str().unwrap();
    let (status, _) = app
        .call("GET", &format!("/api/im/groups/{gid}"), Some(other), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            "POST",
            "/api/im/user-groups/join",
            Some(other),
            Some(json!({"groupId": gid})),
        )
        .await;
    assert_eq!(status, 404);
    let (_, found) = app
        .call("GET", "/api/im/groups/search?filter=small", Some(&ct), None)
        .await;
    assert_eq!(found["totalCount"], 1);
    app.stop().await;
}
