//! The cluster on a real Redis Cluster (three primaries with a replica each, started by the
//! test): the cross-pod scenarios of `cluster.rs` with every pod's own channel sharded, and
//! then the Redis Cluster changing under a chat — a slot moved to another primary, a primary
//! killed and replaced by its replica — with nothing acknowledged lost and live delivery back.

use crate::cluster::{
    backend_pushes_and_client_publishes, chatting_pair, group_fan_out,
    private_chat_notices_and_presence, recovers_everything, sent_right_after_a_connect,
};
use crate::helpers::unique;
use crate::pods::Cluster;
use crate::redis_cluster_server::RedisCluster;
use crate::ws::to_user;

#[actix_rt::test]
async fn chat_groups_pushes_and_presence_on_a_redis_cluster() {
    let test = "chat_groups_pushes_and_presence_on_a_redis_cluster";
    let Some(redis) = RedisCluster::start(test).await else {
        return;
    };
    let Some(mut cluster) = Cluster::on_redis_cluster(test, &redis).await else {
        return;
    };
    private_chat_notices_and_presence(&cluster).await;
    // Each scenario in a namespace of its own: a cluster of new pods.
    cluster.namespace = unique("it");
    group_fan_out(&cluster).await;
    cluster.namespace = unique("it");
    backend_pushes_and_client_publishes(&cluster).await;
    cluster.namespace = unique("it");
    sent_right_after_a_connect(&cluster).await;
}

#[actix_rt::test]
async fn a_moved_slot_and_a_killed_primary_lose_no_acknowledged_message() {
    let test = "a_moved_slot_and_a_killed_primary";
    let Some(mut redis) = RedisCluster::start(test).await else {
        return;
    };
    let Some(cluster) = Cluster::on_redis_cluster(test, &redis).await else {
        return;
    };
    let (p0, p1) = (cluster.pod(1).await, cluster.pod(2).await);
    let (mut sc, mut rc, r, mut acked) = chatting_pair(&p0, &p1).await;
    // Pod 2's channel and keys are hash-tagged with its name: one slot.
    let slot = redis.slot("{pod-2}");
    assert_eq!(
        slot,
        redis.slot(&format!("{}.pod.{{pod-2}}", cluster.namespace))
    );

    // The slot moves to another primary while messages are sent: the old primary
    // unsubscribes pod 2 from its channel; pod 2 subscribes again where the slot now lives
    // and tells its clients to sync.
    let (mut during, moved) = futures_util::join!(
        async {
            let mut ids = Vec::new();
            for i in 0..20 {
                let ack = sc.request(to_user(&r, &format!("while moving {i}"))).await;
                assert_eq!(ack["type"], "ack", "{ack}");
                ids.push(ack["messageId"].as_str().unwrap().to_string());
            }
            ids
        },
        redis.move_slot(slot)
    );
    assert_eq!(redis.primary_of(slot).1, moved);
    acked.append(&mut during);
    recovers_everything(&mut sc, &mut rc, &r, &acked).await;
    assert!(
        p1.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("shard channel was unsubscribed")),
        "pod 2 heard the sunsubscribe"
    );

    // The primary now serving the slot is killed; its replica takes over.
    let (_, port) = redis.primary_of(slot);
    let (mut during, ()) = futures_util::join!(
        async {
            let mut ids = Vec::new();
            for i in 0..20 {
                let ack = sc
                    .request(to_user(&r, &format!("while failing over {i}")))
                    .await;
                assert_eq!(ack["type"], "ack", "{ack}");
                ids.push(ack["messageId"].as_str().unwrap().to_string());
            }
            ids
        },
        redis.kill(port)
    );
    assert_ne!(redis.primary_of(slot).1, port, "a replica took over");
    acked.append(&mut during);
    recovers_everything(&mut sc, &mut rc, &r, &acked).await;
    p0.await_ready().await;
    p1.await_ready().await;
}
