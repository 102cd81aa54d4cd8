//! The jobs table's promises (`store::jobs`), on SQLite or PostgreSQL as the other store
//! tests. Times are given, not read from the clock: a lease runs out by moving `now`.

use super::*;

fn job(kind: &str, key: i64, run_at: i64) -> NewJob {
    NewJob {
        kind: kind.into(),
        key,
        payload: r#"{"url":"https://cdn.example.com/a.flv"}"#.into(),
        run_at,
        max_attempts: 3,
    }
}

fn kinds(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

const LEASE: i64 = 60_000;

#[tokio::test]
async fn leases_fence_claims_and_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let t = 1_000_000;
    assert!(store.enqueue_job(job("keyframes", 7, t), t).await.unwrap());
    assert!(!store.enqueue_job(job("keyframes", 7, t), t).await.unwrap(), "queued once");
    assert!(store.enqueue_job(job("images", 7, t + 5_000), t).await.unwrap(), "another kind, same key");
    let depth = store.job_depth(t).await.unwrap();
    assert_eq!(
        depth.iter().map(|d| (d.kind.as_str(), d.due, d.scheduled)).collect::<Vec<_>>(),
        [("images", 0, 1), ("keyframes", 1, 0)]
    );
    assert_eq!(store.jobs_due(t).await.unwrap(), 1);

    // A claims it; B finds nothing while A's lease holds (nor a kind it was not asked for).
    let a = store.claim_job("A".into(), kinds(&["keyframes", "images"]), LEASE, t).await.unwrap().unwrap();
    assert_eq!((a.kind.as_str(), a.key, a.lease.attempts, a.lease.worker.as_str()), ("keyframes", 7, 1, "A"));
    assert!(a.payload.contains("a.flv"));
    assert!(!store.enqueue_job(job("keyframes", 7, t), t).await.unwrap(), "running: still once");
    assert_eq!(store.claim_job("B".into(), kinds(&["keyframes"]), LEASE, t + 1_000).await.unwrap(), None);
    assert!(store.heartbeat_job(a.lease.clone(), LEASE, t + 30_000).await.unwrap());
    assert_eq!(store.claim_job("B".into(), kinds(&["keyframes"]), LEASE, t + 80_000).await.unwrap(), None, "extended");

    // A stops beating: past its lease, B takes the job over at attempt 2.
    let b = store.claim_job("B".into(), kinds(&["keyframes"]), LEASE, t + 90_001).await.unwrap().unwrap();
    assert_eq!((b.lease.id, b.lease.attempts, b.lease.worker.as_str()), (a.lease.id, 2, "B"));
    assert!(!store.heartbeat_job(a.lease.clone(), LEASE, t + 91_000).await.unwrap(), "A's lease is lost");
    assert!(!store.finish_job(a.lease.clone(), None, t + 92_000).await.unwrap(), "A's late finish is refused");
    assert_eq!(store.fail_job(a.lease.clone(), "late".into(), t + 92_000).await.unwrap(), JobFailed::Lost);
    assert!(store.finish_job(b.lease.clone(), None, t + 93_000).await.unwrap(), "B's finish counts");
    assert!(!store.finish_job(b.lease, None, t + 94_000).await.unwrap(), "once");

    // Done: the same key may be queued again.
    assert!(store.enqueue_job(job("keyframes", 7, t + 95_000), t + 95_000).await.unwrap());
    // The images job is due now and the one left.
    let i = store.claim_job("A".into(), kinds(&["images"]), LEASE, t + 95_000).await.unwrap().unwrap();
    assert_eq!((i.kind.as_str(), i.key), ("images", 7));
    assert!(store.integrity_ok().await.unwrap());
}

#[tokio::test]
async fn failures_back_off_then_fail_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let t = 2_000_000;
    store.enqueue_job(job("check_file", 3, t), t).await.unwrap();
    let mut now = t;
    for attempt in 1..=3u32 {
        let c = store.claim_job("A".into(), kinds(&["check_file"]), LEASE, now).await.unwrap().unwrap();
        assert_eq!(c.lease.attempts, attempt);
        let outcome = store.fail_job(c.lease, format!("HTTP 503 ({attempt})"), now).await.unwrap();
        if attempt < 3 {
            let at = now + retry_delay_ms(attempt);
            assert_eq!(outcome, JobFailed::Retry { at });
            assert_eq!(store.claim_job("A".into(), kinds(&["check_file"]), LEASE, at - 1).await.unwrap(), None);
            now = at;
        } else {
            assert_eq!(outcome, JobFailed::GaveUp);
        }
    }
    assert_eq!(store.claim_job("A".into(), kinds(&["check_file"]), LEASE, now + 10_000_000).await.unwrap(), None);
    assert!(store.job_depth(now).await.unwrap().is_empty());
    assert!(store.enqueue_job(job("check_file", 3, now), now).await.unwrap(), "failed: may be queued again");

    // A job whose worker died on its last attempt is failed by the housekeeping, not claimed.
    let mut last = job("reconcile", 0, now);
    last.max_attempts = 1;
    store.enqueue_job(last, now).await.unwrap();
    let r = store.claim_job("A".into(), kinds(&["reconcile"]), LEASE, now).await.unwrap().unwrap();
    assert_eq!(store.claim_job("B".into(), kinds(&["reconcile"]), LEASE, now + LEASE + 1).await.unwrap(), None);
    let (reaped, pruned) = store.prune_jobs(0, 0, now + LEASE + 1).await.unwrap();
    assert_eq!((reaped, pruned), (1, 0));
    assert!(!store.finish_job(r.lease, None, now + LEASE + 2).await.unwrap());
    // Finished rows go once old enough.
    let (_, pruned) = store.prune_jobs(now + LEASE + 10, now + LEASE + 10, now + LEASE + 10).await.unwrap();
    assert_eq!(pruned, 2, "the failed check and the failed round");
}

#[tokio::test]
async fn a_finish_queues_the_next_round_and_a_part_its_follow_ups() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let t = 3_000_000;
    store.enqueue_job(job("reconcile", 0, t), t).await.unwrap();
    let r = store.claim_job("A".into(), kinds(&["reconcile"]), LEASE, t).await.unwrap().unwrap();
    // While the round runs, the next cannot be queued beside it; its finish queues it.
    assert!(!store.enqueue_job(job("reconcile", 0, t + 300_000), t).await.unwrap());
    assert!(store.finish_job(r.lease, Some(job("reconcile", 0, t + 300_000)), t + 1_000).await.unwrap());
    assert_eq!(store.claim_job("B".into(), kinds(&["reconcile"]), LEASE, t + 299_999).await.unwrap(), None);
    assert!(store.claim_job("B".into(), kinds(&["reconcile"]), LEASE, t + 300_000).await.unwrap().is_some());

    // A part's follow-ups are queued with it, keyed by its id; a duplicate queues none.
    let mut r = replay("a", 100);
    r.follow_ups = vec![
        FollowUp { kind: "keyframes".into(), payload: "{}".into(), max_attempts: 5 },
        FollowUp { kind: "images".into(), payload: "{}".into(), max_attempts: 3 },
    ];
    let Ingest::Stored(row) = store.record_replay(r.clone()).await.unwrap() else { panic!() };
    assert!(matches!(store.record_replay(r).await.unwrap(), Ingest::Duplicate(_)));
    let far = i64::MAX / 4;
    let mut got = Vec::new();
    while let Some(j) = store.claim_job("A".into(), kinds(&["keyframes", "images"]), LEASE, far).await.unwrap() {
        got.push((j.kind, j.key, j.max_attempts));
    }
    got.sort();
    assert_eq!(got, [("images".to_string(), row.id, 3), ("keyframes".to_string(), row.id, 5)]);
}

/// Several workers claiming at once (PostgreSQL: four connections, `SKIP LOCKED`) take
/// every job exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_take_each_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let t = 4_000_000;
    for key in 1..=200 {
        store.enqueue_job(job("images", key, t), t).await.unwrap();
    }
    let workers = (0..4).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(j) = store.claim_job(format!("w{w}"), kinds(&["images"]), LEASE, t).await.unwrap() {
                assert_eq!(j.lease.attempts, 1);
                assert!(store.finish_job(j.lease, None, t).await.unwrap());
                mine.push(j.key);
            }
            mine
        })
    });
    let mut all: Vec<i64> = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all.sort();
    assert_eq!(all, (1..=200).collect::<Vec<_>>());
}
