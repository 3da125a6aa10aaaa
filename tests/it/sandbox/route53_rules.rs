//! Route 53's change rules, which moto does not keep.

use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

use crate::support::sandbox as harness;

pub fn record_change(action: ChangeAction, name: &str, rtype: RrType, values: &[&str]) -> Change {
    let mut set = ResourceRecordSet::builder()
        .name(name)
        .r#type(rtype)
        .ttl(300);
    for value in values {
        set = set.resource_records(ResourceRecord::builder().value(*value).build().unwrap());
    }
    Change::builder()
        .action(action)
        .resource_record_set(set.build().unwrap())
        .build()
        .unwrap()
}

async fn new_zone(client: &aws_sdk_route53::Client, name: &str) -> String {
    let created = client
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("test-{name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.delegation_set().unwrap().name_servers().len(), 4);
    assert!(created.location().contains("/hostedzone/"));
    created.hosted_zone().unwrap().id().to_string()
}

async fn change(
    client: &aws_sdk_route53::Client,
    zone: &str,
    changes: Vec<Change>,
) -> Result<(), ChangeResourceRecordSetsError> {
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error())
}

fn refusal(err: ChangeResourceRecordSetsError) -> String {
    match err {
        ChangeResourceRecordSetsError::InvalidChangeBatch(e) => {
            e.message().unwrap_or("").to_string()
        }
        other => panic!("expected InvalidChangeBatch, got {other:?}"),
    }
}

#[tokio::test]
async fn a_second_create_of_one_record_set_is_refused() {
    let sandbox = harness::start();
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let create = |v: &str| record_change(ChangeAction::Create, "www.example.org", RrType::A, &[v]);
    change(&client, &zone, vec![create("192.0.2.1")])
        .await
        .unwrap();
    let err = change(&client, &zone, vec![create("192.0.2.2")])
        .await
        .unwrap_err();
    // Route 53 sends its messages as a list, a single one too. The API reference names the error
    // but not its text (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html);
    // AWS's answers quoted in https://github.com/kinvolk-archives/lokomotive-kubernetes/issues/181
    // (one message) and https://github.com/kubernetes-sigs/external-dns/issues/5939 (two,
    // separated by ", ") show the form.
    assert_eq!(
        refusal(err),
        "[Tried to create resource record set [name='www.example.org.', type='A'] but it already exists]"
    );
    // UPSERT replaces instead.
    let upsert = record_change(
        ChangeAction::Upsert,
        "www.example.org",
        RrType::A,
        &["192.0.2.2"],
    );
    change(&client, &zone, vec![upsert]).await.unwrap();
}

#[tokio::test]
async fn a_delete_with_stale_values_is_refused() {
    let sandbox = harness::start();
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let txt = |action, v: &str| record_change(action, "example.org", RrType::Txt, &[v]);
    change(
        &client,
        &zone,
        vec![txt(ChangeAction::Create, "\"v=spf1 -all\"")],
    )
    .await
    .unwrap();
    let err = change(
        &client,
        &zone,
        vec![txt(ChangeAction::Delete, "\"v=spf1 ~all\"")],
    )
    .await
    .unwrap_err();
    assert!(refusal(err).contains("do not match the current values"));
    let missing = record_change(
        ChangeAction::Delete,
        "nope.example.org",
        RrType::A,
        &["192.0.2.9"],
    );
    let err = change(&client, &zone, vec![missing]).await.unwrap_err();
    assert!(refusal(err).contains("but it was not found"));
    change(
        &client,
        &zone,
        vec![txt(ChangeAction::Delete, "\"v=spf1 -all\"")],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn two_changes_to_one_set_in_a_batch_are_refused_and_nothing_is_applied() {
    let sandbox = harness::start();
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let err = change(
        &client,
        &zone,
        vec![
            record_change(
                ChangeAction::Create,
                "a.example.org",
                RrType::A,
                &["192.0.2.1"],
            ),
            record_change(
                ChangeAction::Create,
                "b.example.org",
                RrType::A,
                &["192.0.2.1"],
            ),
            record_change(
                ChangeAction::Upsert,
                "a.example.org",
                RrType::A,
                &["192.0.2.2"],
            ),
        ],
    )
    .await
    .unwrap_err();
    assert!(refusal(err).contains("invalid set of changes"));
    let listed = client
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.resource_record_sets().len(), 2, "only NS and SOA");
}

#[tokio::test]
async fn txt_values_must_be_quoted() {
    let sandbox = harness::start();
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let bare = record_change(
        ChangeAction::Create,
        "example.org",
        RrType::Txt,
        &["v=spf1 -all"],
    );
    let err = change(&client, &zone, vec![bare]).await.unwrap_err();
    assert!(refusal(err).contains("enclosed in quotation marks"));
}

#[tokio::test]
async fn record_sets_and_zones_page() {
    let sandbox = harness::start();
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let changes = ["a", "b", "c"]
        .iter()
        .map(|n| {
            record_change(
                ChangeAction::Create,
                &format!("{n}.example.org"),
                RrType::A,
                &["192.0.2.1"],
            )
        })
        .collect();
    change(&client, &zone, changes).await.unwrap();
    let mut seen = Vec::new();
    let mut next: Option<(String, RrType)> = None;
    loop {
        let mut request = client
            .list_resource_record_sets()
            .hosted_zone_id(&zone)
            .max_items(2);
        if let Some((name, rtype)) = next.take() {
            request = request.start_record_name(name).start_record_type(rtype);
        }
        let page = request.send().await.unwrap();
        assert!(page.resource_record_sets().len() <= 2);
        for set in page.resource_record_sets() {
            seen.push(format!("{} {}", set.name(), set.r#type()));
        }
        if !page.is_truncated() {
            break;
        }
        next = Some((
            page.next_record_name().unwrap().to_string(),
            page.next_record_type().unwrap().clone(),
        ));
    }
    assert_eq!(
        seen,
        [
            "example.org. NS",
            "example.org. SOA",
            "a.example.org. A",
            "b.example.org. A",
            "c.example.org. A"
        ]
    );

    new_zone(&client, "example.com").await;
    new_zone(&client, "example.net").await;
    let first = client
        .list_hosted_zones()
        .max_items(2)
        .send()
        .await
        .unwrap();
    assert!(first.is_truncated());
    let rest = client
        .list_hosted_zones()
        .marker(first.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(first.hosted_zones().len() + rest.hosted_zones().len(), 3);
    let by_name = client.list_hosted_zones_by_name().send().await.unwrap();
    let names: Vec<_> = by_name.hosted_zones().iter().map(|z| z.name()).collect();
    assert_eq!(names, ["example.com.", "example.net.", "example.org."]);
}

#[tokio::test]
async fn a_zone_with_records_cannot_be_deleted_and_unknown_zones_are_not_found() {
    let sandbox = harness::start();
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let a = |action| record_change(action, "a.example.org", RrType::A, &["192.0.2.1"]);
    change(&client, &zone, vec![a(ChangeAction::Create)])
        .await
        .unwrap();
    let err = client
        .delete_hosted_zone()
        .id(&zone)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_hosted_zone_not_empty());
    change(&client, &zone, vec![a(ChangeAction::Delete)])
        .await
        .unwrap();
    client.delete_hosted_zone().id(&zone).send().await.unwrap();
    let err = client.get_hosted_zone().id(&zone).send().await.unwrap_err();
    assert!(err.into_service_error().is_no_such_hosted_zone());
}

#[tokio::test]
async fn a_change_is_pending_until_it_has_propagated() {
    let mut config = mailform::sandbox::SandboxConfig::default();
    config.timings.change_propagation = 60;
    let sandbox = harness::start_with(config);
    let client = harness::route53(&sandbox);
    let zone = new_zone(&client, "example.org").await;
    let changed = client
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(record_change(
                    ChangeAction::Create,
                    "a.example.org",
                    RrType::A,
                    &["192.0.2.1"],
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let id = changed.change_info().unwrap().id().to_string();
    let status = || async {
        client
            .get_change()
            .id(&id)
            .send()
            .await
            .unwrap()
            .change_info()
            .unwrap()
            .status()
            .clone()
    };
    assert_eq!(
        status().await,
        aws_sdk_route53::types::ChangeStatus::Pending
    );
    sandbox.advance_clock(std::time::Duration::from_secs(60));
    assert_eq!(status().await, aws_sdk_route53::types::ChangeStatus::Insync);
}
