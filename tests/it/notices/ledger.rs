//! The notice ledger through the real adapter (`DynamoLedger`, aws-sdk-dynamodb) against the
//! sandbox's DynamoDB: claims, take-overs, settles and releases, racing claimers, a write
//! whose answer was lost, a missing table, paging.

use std::sync::Arc;

use futures::StreamExt as _;
use mailform::live::ReadErrorKind;
use mailform::live::aws::load_sdk_config;
use mailform::model::LibraryId;
use mailform::notice::dynamo::DynamoLedger;
use mailform::notice::ledger::{Claim, EntryState, LedgerEntry, NoticeLedger, Settle};
use mailform::notice::{NoticeKey, NoticeKind};
use mailform::sandbox::{FaultKind, FaultRule, SandboxHandle, Service};

use crate::live::options;
use crate::support::sandbox as harness;

pub async fn ledger(sandbox: &SandboxHandle, table: &str) -> DynamoLedger {
    let opts = options(sandbox);
    let sdk = load_sdk_config(&opts).await;
    DynamoLedger::new(&sdk, &opts, table, 0.0)
}

pub fn entry(library: &str, kind: NoticeKind, facts: &[&str], run: &str, at: i64) -> LedgerEntry {
    let library = LibraryId::parse(library).unwrap();
    LedgerEntry {
        key: NoticeKey::new(library.clone(), kind, facts),
        state: EntryState::Claimed,
        run: run.into(),
        claimed_at: at,
        sent_at: None,
        to: format!("it@{library}.example"),
        subject: format!("{kind} for {library}"),
        message_id: format!("<{kind}.{library}@notices.library-market.example>"),
        detail: None,
        words: None,
    }
}

#[tokio::test]
async fn claim_hold_take_over_settle_and_release() {
    let sandbox = harness::start();
    let ledger = ledger(&sandbox, "mailform-notices").await;
    let first = entry("springfield", NoticeKind::Records, &["t1"], "run-a", 100);

    assert_eq!(ledger.claim(&first).await.unwrap(), Claim::Won);
    // A second claim of the same key, by another run, sees the first one's entry.
    let second = LedgerEntry {
        run: "run-b".into(),
        claimed_at: 200,
        ..first.clone()
    };
    assert_eq!(
        ledger.claim(&second).await.unwrap(),
        Claim::Held(Box::new(first.clone()))
    );
    // Another run cannot settle run-a's claim.
    assert!(
        !ledger
            .settle(&first.key, "run-b", &Settle::Sent { at: 1 })
            .await
            .unwrap()
    );
    // run-b takes the stale claim over; run-a's settle then fails, and so does a second
    // take-over from the same stale claim.
    assert_eq!(ledger.take_over(&second, &first).await.unwrap(), Claim::Won);
    assert!(
        !ledger
            .settle(&first.key, "run-a", &Settle::Sent { at: 1 })
            .await
            .unwrap()
    );
    let third = LedgerEntry {
        run: "run-c".into(),
        ..first.clone()
    };
    assert_eq!(
        ledger.take_over(&third, &first).await.unwrap(),
        Claim::Held(Box::new(second.clone()))
    );
    assert!(
        ledger
            .settle(&first.key, "run-b", &Settle::Sent { at: 250 })
            .await
            .unwrap()
    );
    // A sent notice can be settled no more, nor taken over.
    assert!(
        !ledger
            .settle(&first.key, "run-b", &Settle::Released)
            .await
            .unwrap()
    );
    let sent = LedgerEntry {
        state: EntryState::Sent,
        sent_at: Some(250),
        ..second.clone()
    };
    assert_eq!(
        ledger.take_over(&third, &second).await.unwrap(),
        Claim::Held(Box::new(sent.clone()))
    );

    // A refusal for good is kept with the relay's reply.
    let lapsed = entry("springfield", NoticeKind::Lapsed, &["x"], "run-a", 300);
    assert_eq!(ledger.claim(&lapsed).await.unwrap(), Claim::Won);
    let detail = "550 5.1.1 <it@springfield.example>: no such user";
    assert!(
        ledger
            .settle(
                &lapsed.key,
                "run-a",
                &Settle::Failed {
                    detail: detail.into()
                }
            )
            .await
            .unwrap()
    );

    // A release removes the claim: the next claim wins.
    let reminder = entry("shelbyville", NoticeKind::Reminder, &["y"], "run-a", 400);
    assert_eq!(ledger.claim(&reminder).await.unwrap(), Claim::Won);
    assert!(
        ledger
            .settle(&reminder.key, "run-a", &Settle::Released)
            .await
            .unwrap()
    );
    let again = LedgerEntry {
        run: "run-d".into(),
        ..reminder.clone()
    };
    assert_eq!(ledger.claim(&again).await.unwrap(), Claim::Won);
    // A take-over of a claim released meanwhile claims the notice afresh.
    assert!(
        ledger
            .settle(&again.key, "run-d", &Settle::Released)
            .await
            .unwrap()
    );
    let late = LedgerEntry {
        run: "run-e".into(),
        ..reminder.clone()
    };
    assert_eq!(ledger.take_over(&late, &again).await.unwrap(), Claim::Won);

    // What the ledger holds: one library (Query) and all (Scan).
    let failed = LedgerEntry {
        state: EntryState::Failed,
        detail: Some(detail.into()),
        ..lapsed.clone()
    };
    let springfield = LibraryId::parse("springfield").unwrap();
    let mut mine = ledger.entries(Some(&springfield)).await.unwrap();
    mine.sort_by(|a, b| a.key.cmp(&b.key));
    let mut want = vec![sent.clone(), failed.clone()];
    want.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(mine, want);
    let all = ledger.entries(None).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.contains(&late));

    // Every write was sent once: no request was repeated by the SDK.
    let writes: Vec<_> = sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.service == Service::DynamoDb && e.mutating)
        .collect();
    assert!(writes.iter().all(|e| e.fault.is_none()));
}

#[tokio::test]
async fn twenty_racing_claimers_one_wins() {
    let sandbox = harness::start();
    let ledger = Arc::new(ledger(&sandbox, "mailform-notices").await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let e = entry(
                    "capital-city",
                    NoticeKind::DomainBought,
                    &["capital-city-mail.example"],
                    &format!("run-{i}"),
                    1000 + i,
                );
                (e.clone(), ledger.claim(&e).await.unwrap())
            })
        })
        .collect();
    let mut won = Vec::new();
    let mut held = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (e, Claim::Won) => won.push(e),
            (_, Claim::Held(entry)) => held.push(*entry),
        }
    }
    assert_eq!(won.len(), 1, "exactly one claimer wins");
    assert_eq!(held.len(), 19);
    // Every loser was shown the winner's entry.
    assert!(held.iter().all(|h| *h == won[0]), "{held:#?}");
}

#[tokio::test]
async fn a_lost_answer_after_the_write_leaves_the_claim_visible() {
    // The timeout after a request was sent: the sandbox makes the write, then drops the
    // connection. The claim errors (it is not retried), and the next claim sees the write.
    let sandbox = harness::start();
    let ledger = ledger(&sandbox, "mailform-notices").await;
    sandbox.inject_fault(
        FaultRule::new(Service::DynamoDb, FaultKind::DropAfterCommit)
            .operation("PutItem")
            .times(1),
    );
    let e = entry("brockway", NoticeKind::Verified, &["ok"], "run-a", 5);
    let err = ledger.claim(&e).await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ReadErrorKind::Unreachable { .. }
                | ReadErrorKind::Timeout
                | ReadErrorKind::Service { .. }
        ),
        "{err}"
    );
    let puts = sandbox
        .request_log()
        .into_iter()
        .filter(|l| l.service == Service::DynamoDb && l.operation == "PutItem")
        .count();
    assert_eq!(puts, 1, "the write was sent once, not retried");
    let retry = LedgerEntry {
        run: "run-b".into(),
        ..e.clone()
    };
    assert_eq!(
        ledger.claim(&retry).await.unwrap(),
        Claim::Held(Box::new(e))
    );

    // A settle whose answer is lost likewise took effect.
    sandbox.inject_fault(
        FaultRule::new(Service::DynamoDb, FaultKind::DropAfterCommit)
            .operation("UpdateItem")
            .times(1),
    );
    assert!(
        ledger
            .settle(&retry.key, "run-a", &Settle::Sent { at: 9 })
            .await
            .is_err()
    );
    let entries = ledger.entries(None).await.unwrap();
    assert_eq!(entries[0].state, EntryState::Sent);
    assert_eq!(entries[0].sent_at, Some(9));
}

#[tokio::test]
async fn a_missing_table_says_how_to_create_it() {
    let sandbox = harness::start();
    let ledger = ledger(&sandbox, "notices-elsewhere").await;
    let err = ledger.entries(None).await.unwrap_err();
    assert!(
        matches!(&err.kind, ReadErrorKind::MissingTable { table, .. } if table == "notices-elsewhere"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(
            "aws dynamodb create-table --region us-east-1 --table-name notices-elsewhere"
        ),
        "{text}"
    );
    assert!(text.contains("--billing-mode PAY_PER_REQUEST"), "{text}");
    let e = entry("brockway", NoticeKind::Launch, &["1"], "r", 1);
    assert!(matches!(
        ledger.claim(&e).await.unwrap_err().kind,
        ReadErrorKind::MissingTable { .. }
    ));
}

#[tokio::test]
async fn every_page_is_read() {
    // More entries than one page (the sandbox's 1,000, as AWS stops at 1 MB).
    let sandbox = harness::start();
    let ledger = ledger(&sandbox, "mailform-notices").await;
    let count = 1_005;
    futures::stream::iter(0..count)
        .map(|i| {
            let ledger = &ledger;
            async move {
                let library = if i % 2 == 0 {
                    "ogdenville"
                } else {
                    "north-haverbrook"
                };
                let e = entry(library, NoticeKind::Reminder, &[&i.to_string()], "r", i);
                assert_eq!(ledger.claim(&e).await.unwrap(), Claim::Won);
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(ledger.entries(None).await.unwrap().len(), count as usize);
    let scans = sandbox
        .request_log()
        .into_iter()
        .filter(|l| l.operation == "Scan")
        .count();
    assert_eq!(scans, 2, "two pages");
    let ogdenville = LibraryId::parse("ogdenville").unwrap();
    assert_eq!(
        ledger.entries(Some(&ogdenville)).await.unwrap().len(),
        (count as usize).div_ceil(2)
    );
}
