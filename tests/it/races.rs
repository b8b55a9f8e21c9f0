//! Concurrent requests that are each allowed alone, fired at the same instant for many rounds,
//! then the tables read back: every invariant of groups and friendships must hold whatever ran
//! beside what (RELIABILITY.md, "Races"). Runs on SQLite and PostgreSQL with one pod, and on
//! two pods sharing PostgreSQL and Redis.

use futures_util::future::join_all;
use imcluster::auth::Tokens;
use imcluster::store::{GroupFacts, NewAccount, NewGroup, Store, FRIEND_ADDED};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{unique, TestApp, TestDb};
use crate::pods::{Cluster, Pod};
use crate::ws::{to_user, WsClient};

/// One request of a race, boxed so that different requests run side by side.
type Req<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = u16> + 'a>>;

/// Fires every request at once and waits for all the answers.
macro_rules! race {
    ($($req:expr),+ $(,)?) => {
        join_all(vec![$(Box::pin($req) as Req<'_>),+])
    };
}

/// How many rounds each race runs.
const ROUNDS: usize = 6;

/// Where the races run: one or more nodes on one database, and a way to read it back.
struct World {
    apps: Vec<TestApp>,
    store: Store,
    tokens: Tokens,
    /// Kept alive for the pods' sake.
    _pods: Vec<Pod>,
}

/// A user: id and token.
#[derive(Clone)]
struct User {
    id: Uuid,
    token: String,
}

impl World {
    /// A user made straight in the database (no password hashing), with a token.
    async fn user(&self) -> User {
        let name = unique("r");
        let account = NewAccount {
            tenant_id: None,
            user_name: name.clone(),
            password_hash: "-".into(),
            roles: vec![],
        };
        let id = self.store.create_account(account).await.unwrap();
        let token = self.tokens.issue(id, None, &name, &[]).0;
        User { id, token }
    }

    async fn users(&self, n: usize) -> Vec<User> {
        let mut all = vec![];
        for _ in 0..n {
            all.push(self.user().await);
        }
        all
    }

    /// A group owned by `owner` with `members`, at most `max` members.
    async fn group(&self, owner: &User, members: &[&User], max: i32) -> i64 {
        let group = rand_id();
        let new = NewGroup {
            tenant_id: None,
            group_id: group,
            owner: owner.id,
            name: "race".into(),
            max_user_count: max,
            allow_anonymous: false,
            allow_send_message: true,
        };
        self.store.create_group(new).await.unwrap();
        for m in members {
            self.store
                .add_member(None, group, m.id, false, None)
                .await
                .unwrap();
        }
        group
    }

    /// `who` calls `method path` on node `i` (round robin over the nodes).
    async fn call(
        &self,
        i: usize,
        method: &str,
        path: String,
        who: &User,
        body: Option<Value>,
    ) -> u16 {
        let app = &self.apps[i % self.apps.len()];
        app.call(method, &path, Some(&who.token), body).await.0
    }

    async fn join(&self, i: usize, user: &User, group: i64) -> u16 {
        let body = json!({"groupId": group.to_string()});
        self.call(
            i,
            "POST",
            "/api/im/user-groups/join".into(),
            user,
            Some(body),
        )
        .await
    }

    async fn decide(&self, i: usize, admin: &User, group: i64, user: &User, accept: bool) -> u16 {
        let body = json!({"groupId": group.to_string(), "userId": user.id, "allowAccept": accept});
        self.call(
            i,
            "PUT",
            "/api/im/user-groups/accept".into(),
            admin,
            Some(body),
        )
        .await
    }

    async fn make_admin(&self, owner: &User, group: i64, user: &User) {
        let body = json!({"groupId": group.to_string(), "userId": user.id, "isAdmin": true});
        let status = self
            .call(
                0,
                "PUT",
                "/api/im/user-groups/members".into(),
                owner,
                Some(body),
            )
            .await;
        assert_eq!(status, 204);
    }

    /// Every invariant of a group, read back from the database.
    async fn check_group(&self, group: i64, what: &str) {
        let (_, members) = self.store.members(None, group, 0, 10_000).await.unwrap();
        let (_, pending) = self
            .store
            .join_requests(None, group, 0, 10_000)
            .await
            .unwrap();
        let Some(f) = self.store.group_facts(None, group).await.unwrap() else {
            assert!(
                members.is_empty(),
                "{what}: a dismissed group keeps members"
            );
            assert!(
                pending.is_empty(),
                "{what}: a dismissed group keeps requests"
            );
            return;
        };
        check_facts(&f, what);
        let carded = members.iter().filter(|m| m.card.is_some()).count();
        assert_eq!(carded, members.len(), "{what}: a member without a card");
        assert_eq!(members.len(), f.members.len(), "{what}");
        for r in &pending {
            assert!(
                !f.members.contains(&r.user_id),
                "{what}: a member still asking to join"
            );
            assert!(
                !f.blacklist.contains(&r.user_id),
                "{what}: a banned user still asking"
            );
        }
    }

    /// A friendship is both rows or neither, but for a block the other side holds; never two
    /// pending requests between the same two users.
    async fn check_pair(&self, a: &User, b: &User, what: &str) {
        let ab = self.store.friend_row(None, a.id, b.id).await.unwrap();
        let ba = self.store.friend_row(None, b.id, a.id).await.unwrap();
        let added = |r: &Option<entity::user_chat_friend::Model>| {
            r.as_ref().is_some_and(|r| r.status == FRIEND_ADDED)
        };
        let pending = |r: &Option<entity::user_chat_friend::Model>| {
            r.as_ref().is_some_and(|r| r.status != FRIEND_ADDED)
        };
        assert!(
            !(pending(&ab) && pending(&ba)),
            "{what}: two pending requests"
        );
        for (one, other) in [(&ab, &ba), (&ba, &ab)] {
            if added(one) && one.as_ref().is_some_and(|r| r.black != Some(true)) {
                assert!(added(other), "{what}: a half friendship");
            }
        }
    }
}

/// The invariants of a group's facts.
fn check_facts(f: &GroupFacts, what: &str) {
    assert!(
        f.members.contains(&f.owner),
        "{what}: the owner is not a member"
    );
    assert!(
        f.admins.contains(&f.owner),
        "{what}: the owner is not an admin"
    );
    assert!(
        f.admins.is_subset(&f.members),
        "{what}: an admin who is not a member"
    );
    assert!(
        f.members.len() as i64 <= i64::from(f.max_user_count),
        "{what}: {} members in a group of {}",
        f.members.len(),
        f.max_user_count
    );
    assert!(
        f.members.is_disjoint(&f.blacklist),
        "{what}: a member who is banned"
    );
}

fn rand_id() -> i64 {
    (Uuid::new_v4().as_u128() as i64 & 0x7fff_ffff_ffff) + 1
}

/// Runs every race of groups and friendships in `world`.
async fn run_races(w: &World) {
    for round in 0..ROUNDS {
        // Transfer to B while B leaves; and two transfers at once.
        let (o, a, b) = (w.user().await, w.user().await, w.user().await);
        let group = w.group(&o, &[&a, &b], 50).await;
        let to = |u: &User| json!({"userId": u.id});
        let path = format!("/api/im/groups/{group}/owner");
        race![
            w.call(round, "PUT", path.clone(), &o, Some(to(&b))),
            w.call(
                round + 1,
                "DELETE",
                format!("/api/im/user-groups/me?groupId={group}"),
                &b,
                None,
            ),
            w.call(round, "PUT", path.clone(), &o, Some(to(&a))),
        ]
        .await;
        w.check_group(group, "transfer, transfer and leave").await;

        // Transfer to C while an admin bans C.
        let (o, admin, c) = (w.user().await, w.user().await, w.user().await);
        let group = w.group(&o, &[&admin, &c], 50).await;
        w.make_admin(&o, group, &admin).await;
        race![
            w.call(
                round,
                "PUT",
                format!("/api/im/groups/{group}/owner"),
                &o,
                Some(to(&c))
            ),
            w.call(
                round + 1,
                "POST",
                format!("/api/im/groups/{group}/blacks"),
                &admin,
                Some(json!({"userId": c.id})),
            ),
        ]
        .await;
        w.check_group(group, "transfer and ban").await;

        // Capacity: 12 accepts at once into a group with 2 free seats.
        let owner = w.user().await;
        let members = w.users(3).await;
        let refs: Vec<&User> = members.iter().collect();
        let group = w.group(&owner, &refs, 6).await;
        let askers = w.users(12).await;
        for (i, u) in askers.iter().enumerate() {
            assert_eq!(w.join(i, u, group).await, 201);
        }
        let accepted = join_all(
            askers
                .iter()
                .enumerate()
                .map(|(i, u)| w.decide(i, &owner, group, u, true)),
        )
        .await;
        assert_eq!(
            accepted.iter().filter(|s| **s == 204).count(),
            2,
            "{accepted:?}"
        );
        assert!(
            accepted.iter().all(|s| *s == 204 || *s == 409),
            "{accepted:?}"
        );
        w.check_group(group, "accepts past capacity").await;

        // Accept, ban and remove of one requester at once, by two admins.
        let (owner, admin, asker) = (w.user().await, w.user().await, w.user().await);
        let group = w.group(&owner, &[&admin], 50).await;
        w.make_admin(&owner, group, &admin).await;
        assert_eq!(w.join(0, &asker, group).await, 201);
        let gs = group.to_string();
        race![
            w.decide(round, &owner, group, &asker, true),
            w.call(
                round + 1,
                "POST",
                format!("/api/im/groups/{gs}/blacks"),
                &admin,
                Some(json!({"userId": asker.id})),
            ),
            w.call(
                round,
                "PUT",
                "/api/im/user-groups/remove".into(),
                &owner,
                Some(json!({"groupId": gs, "userId": asker.id})),
            ),
            w.decide(round + 1, &admin, group, &asker, false),
        ]
        .await;
        w.check_group(group, "accept, ban, remove, reject").await;

        // Dismiss during accepts, joins and a leave.
        let owner = w.user().await;
        let askers = w.users(4).await;
        let joiners = w.users(3).await;
        let member = w.user().await;
        let group = w.group(&owner, &[&member], 50).await;
        for u in &askers {
            assert_eq!(w.join(0, u, group).await, 201);
        }
        let mut racing: Vec<Req<'_>> = vec![];
        for (i, u) in askers.iter().enumerate() {
            racing.push(Box::pin(w.decide(i, &owner, group, u, true)));
        }
        for (i, u) in joiners.iter().enumerate() {
            racing.push(Box::pin(w.join(i + 1, u, group)));
        }
        racing.push(Box::pin(w.call(
            round,
            "DELETE",
            format!("/api/im/groups/{group}"),
            &owner,
            None,
        )));
        racing.push(Box::pin(w.call(
            round + 1,
            "DELETE",
            format!("/api/im/user-groups/me?groupId={group}"),
            &member,
            None,
        )));
        let answers = join_all(racing).await;
        assert!(answers.iter().all(|s| *s < 500), "{answers:?}");
        w.check_group(group, "dismiss during accepts and joins")
            .await;

        // Friendships: both ask at once (both need validation).
        let (x, y) = (w.user().await, w.user().await);
        let ask = |u: &User| json!({"friendId": u.id});
        let asked = race![
            w.call(
                round,
                "POST",
                "/api/im/my-friends/add-request".into(),
                &x,
                Some(ask(&y)),
            ),
            w.call(
                round + 1,
                "POST",
                "/api/im/my-friends/add-request".into(),
                &y,
                Some(ask(&x)),
            ),
        ]
        .await;
        assert!(asked.iter().all(|s| *s == 201 || *s == 409), "{asked:?}");
        w.check_pair(&x, &y, "both ask at once").await;
        let xy = w.store.friend_row(None, x.id, y.id).await.unwrap();
        assert!(
            xy.is_some_and(|r| r.status == FRIEND_ADDED),
            "both asked: friends"
        );

        // Accept while either side deletes; accept and reject at once.
        let (p, q) = (w.user().await, w.user().await);
        assert_eq!(
            w.call(
                0,
                "POST",
                "/api/im/my-friends/add-request".into(),
                &p,
                Some(ask(&q))
            )
            .await,
            201
        );
        let accept = format!("/api/im/my-friends/requests/{}/accept", p.id);
        let reject = format!("/api/im/my-friends/requests/{}/reject", p.id);
        let answers = race![
            w.call(round, "PUT", accept, &q, None),
            w.call(round + 1, "PUT", reject, &q, None),
            w.call(
                round,
                "DELETE",
                format!("/api/im/my-friends?friendId={}", q.id),
                &p,
                None,
            ),
        ]
        .await;
        assert!(answers.iter().all(|s| *s < 500), "{answers:?}");
        assert!(
            answers[..2].iter().filter(|s| **s == 204).count() <= 1,
            "an accept and a reject both succeeded: {answers:?}"
        );
        w.check_pair(&p, &q, "accept, reject and delete").await;

        // Unread counts: two devices read at once while messages keep arriving.
        w.unread_race(round).await;
    }
}

impl World {
    /// Two devices of one user read message 20 and message 15 at the same moment while the
    /// sender sends five more; the unread count must equal the messages after the position.
    async fn unread_race(&self, round: usize) {
        let (s, r) = (self.user().await, self.user().await);
        self.store.befriend(None, s.id, r.id).await.unwrap();
        let n = self.apps.len();
        let mut sender = WsClient::connect(&self.apps[round % n], &s.token).await;
        let mut ids = vec![];
        let r_id = r.id.to_string();
        for i in 0..20 {
            ids.push(acked_id(
                sender.request(to_user(&r_id, &format!("m{i}"))).await,
            ));
        }
        let mut d1 = WsClient::connect(&self.apps[round % n], &r.token).await;
        let mut d2 = WsClient::connect(&self.apps[(round + 1) % n], &r.token).await;
        let read = |id: i64| json!({"type": "read", "messageId": id.to_string()});
        let (a1, a2, more) = futures_util::join!(
            d1.request(read(ids[19])),
            d2.request(read(ids[14])),
            async {
                let mut more = vec![];
                for i in 0..5 {
                    more.push(acked_id(
                        sender.request(to_user(&r_id, &format!("n{i}"))).await,
                    ));
                }
                more
            }
        );
        assert_eq!(
            (a1["type"].as_str(), a2["type"].as_str()),
            (Some("ack"), Some("ack")),
            "{a1} {a2}"
        );
        ids.extend(more);
        let truth = ids.iter().filter(|id| **id > ids[19]).count() as u64;
        let list = self
            .store
            .conversations(None, r.id, &[], 100)
            .await
            .unwrap();
        let unread = list
            .iter()
            .find(|c| c.with == imcluster::store::Conversation::User(s.id))
            .map(|c| c.unread);
        assert_eq!(
            unread,
            Some(truth),
            "unread after two reads and five arrivals"
        );
    }
}

/// The message id of a send's `ack`.
fn acked_id(ack: Value) -> i64 {
    assert_eq!(ack["type"], "ack", "{ack}");
    ack["messageId"].as_str().unwrap().parse().unwrap()
}

crate::on_both_databases!(
    concurrent_requests_keep_every_invariant,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let state = app.state();
        let world = World {
            store: state.store.clone(),
            tokens: Tokens::from_config(&state.config),
            apps: vec![app],
            _pods: vec![],
        };
        run_races(&world).await;
        world.apps[0].stop().await;
    }
);

#[actix_rt::test]
async fn concurrent_requests_on_two_pods_keep_every_invariant() {
    let Some(cluster) = Cluster::new("races_two_pods").await else {
        return;
    };
    let pods = vec![cluster.pod(1).await, cluster.pod(2).await];
    let mut config = cluster.db.config();
    config.database.max_connections = 4;
    let store = Store::open(&config.database).await.unwrap();
    let world = World {
        apps: pods
            .iter()
            .map(|p| TestApp::remote(p.app.base.clone()))
            .collect(),
        store,
        tokens: Tokens::from_config(&config),
        _pods: pods,
    };
    run_races(&world).await;
}
