//! Contract test of the SES event pipeline's calls, against moto's server and the sandbox:
//! SNS `CreateTopic`/`Subscribe`/`Publish` delivering to SQS, SQS `CreateQueue`/`SendMessage`/
//! `ReceiveMessage`/`DeleteMessageBatch`, DynamoDB `TransactWriteItems`/`Query`, driven through
//! mailform's own drain and adapters, and SES v2 `SendEmail`; and a cancelled transaction's
//! `CancellationReasons`, as the SDK parses them. moto publishes no events for `SendEmail` (it
//! has no mailbox simulator), so the events are published to the topic by hand in SES's JSON;
//! the sandbox's own publishing is tested in `tests/it/events`.

use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
use mailform::events::drain::{DrainOptions, drain};
use mailform::events::dynamo::DynamoEventStore;
use mailform::events::sqs::SqsEventQueue;
use mailform::events::store::EventStore as _;
use mailform::live::aws::{AwsOptions, load_sdk_config};
use mailform::model::EventSettings;

use crate::support::moto::Moto;
use crate::support::sandbox::{self as harness, Client};

const QUEUE: &str = "mailform-ses-events";
const DLQ: &str = "mailform-ses-events-dlq";

fn ses_event(kind: &str, detail: &str, id: &str) -> String {
    format!(
        r#"{{"eventType":"{kind}",{detail},"mail":{{"timestamp":"2026-01-01T10:00:00.000Z","source":"news@springfield-library.org","messageId":"{id}","destination":["bounce@simulator.amazonses.com"],"tags":{{"ses:from-domain":["springfield-library.org"]}}}}}}"#
    )
}

/// The event store's table (`pk`, `sk`), unless it is there.
async fn create_events_table(ddb: &aws_sdk_dynamodb::Client) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let mut table = ddb
        .create_table()
        .table_name("mailform-events")
        .billing_mode(BillingMode::PayPerRequest);
    for (name, key) in [("pk", KeyType::Hash), ("sk", KeyType::Range)] {
        table = table
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(key)
                    .build()
                    .unwrap(),
            );
    }
    if let Err(e) = table.send().await {
        assert_eq!(e.code(), Some("ResourceInUseException"), "{e:?}");
    }
}

/// The pipeline at one set of endpoints; what a person would compare: the drain's report, the
/// records read back, what the dead-letter queue holds.
async fn scenario(sqs_url: String, sns_url: String, ddb_url: String) -> Vec<String> {
    let mut opts = AwsOptions::new("us-east-1");
    opts.endpoints.sqs = Some(sqs_url.clone());
    opts.endpoints.dynamodb = Some(ddb_url.clone());
    opts.retries.max_attempts = 3;
    opts.retries.initial_backoff = Duration::from_millis(10);
    opts.credentials = Some(aws_credential_types::Credentials::new(
        "AKIDSANDBOXTEST",
        "sandbox-secret",
        None,
        None,
        "contract",
    ));
    let sdk = load_sdk_config(&opts).await;
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk)
            .endpoint_url(&sqs_url)
            .build(),
    );
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(&sdk)
            .endpoint_url(&sns_url)
            .build(),
    );
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&ddb_url)
            .build(),
    );
    create_events_table(&ddb).await;
    let dlq_url = sqs
        .create_queue()
        .queue_name(DLQ)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(QUEUE)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let same_url = sqs
        .get_queue_url()
        .queue_name(QUEUE)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(queue_url, same_url);
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let topic = sns
        .create_topic()
        .name("mailform-ses-events")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();
    let bounce = ses_event(
        "Bounce",
        r#""bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"bounce@simulator.amazonses.com","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}"#,
        "m-1",
    );
    let delivery = ses_event(
        "Delivery",
        r#""delivery":{"recipients":["success@simulator.amazonses.com"]}"#,
        "m-2",
    );
    // The bounce twice: SNS and SQS deliver at least once.
    for message in [&bounce, &delivery, &bounce] {
        sns.publish()
            .topic_arn(&topic)
            .message(message)
            .send()
            .await
            .unwrap();
    }
    sqs.send_message()
        .queue_url(&queue_url)
        .message_body("not an event")
        .send()
        .await
        .unwrap();

    let settings = EventSettings {
        configuration_set: "library-mail".into(),
        destination: "mailform-events".into(),
        topic_arn: topic.clone(),
        queue_url: queue_url.clone(),
        dead_letter_queue_url: dlq_url.clone(),
        table: "mailform-events".into(),
    };
    let queue = SqsEventQueue::new(&sdk, &opts, &settings);
    let store = DynamoEventStore::new(&sdk, &opts, "mailform-events");
    let report = drain(&queue, &store, DrainOptions::default())
        .await
        .unwrap();
    let mut records: Vec<String> = store
        .read("springfield-library.org", "2026-01-01", "2026-01-01")
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    records.sort();
    let dead: Vec<String> = sqs
        .receive_message()
        .queue_url(&dlq_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect();
    let left = sqs
        .receive_message()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .len();
    let mut out = vec![
        format!(
            "messages {} records {} dead {}",
            report.messages,
            report.records,
            report.dead_lettered.len()
        ),
        format!("dead-letter queue {dead:?}"),
        format!("left {left}"),
    ];
    out.extend(records);
    out
}

#[tokio::test]
async fn the_event_pipeline_agrees() {
    let moto = Moto::start();
    let from_moto = scenario(moto.url.clone(), moto.url.clone(), moto.url.clone()).await;
    let sandbox = harness::start();
    let e = sandbox.endpoints();
    let from_sandbox = scenario(e.sqs.clone(), e.sns.clone(), e.dynamodb.clone()).await;
    assert_eq!(from_moto, from_sandbox);
    assert_eq!(from_sandbox[0], "messages 4 records 2 dead 1");
    assert_eq!(from_sandbox[1], "dead-letter queue [\"not an event\"]");
    assert_eq!(from_sandbox.len(), 5, "{from_sandbox:#?}");
}

/// SES v2 `SendEmail` from a verified address: both answer with a message id; from an address
/// that is not an identity, both refuse with `MessageRejected`.
#[tokio::test]
async fn send_email_agrees() {
    async fn send(ses: &aws_sdk_sesv2::Client, from: &str) -> Result<bool, String> {
        use aws_sdk_sesv2::types::Destination;
        ses.send_email()
            .from_email_address(from)
            .destination(
                Destination::builder()
                    .to_addresses("success@simulator.amazonses.com")
                    .build(),
            )
            .content(crate::support::sandbox::text_message(
                "Due",
                "Bring it back.",
            ))
            .send()
            .await
            .map(|out| out.message_id.is_some_and(|id| !id.is_empty()))
            .map_err(|e| {
                aws_sdk_sesv2::error::ProvideErrorMetadata::code(&e)
                    .unwrap_or("")
                    .to_string()
            })
    }
    let scenario = |url: String, confirm: Box<dyn Fn(&str)>| async move {
        let ses = Client::retrying(3).ses_at(&url);
        ses.create_email_identity()
            .email_identity("news@springfield-library.org")
            .send()
            .await
            .unwrap();
        confirm("news@springfield-library.org");
        vec![
            send(&ses, "news@springfield-library.org").await,
            send(&ses, "news@nowhere.example.org").await,
        ]
    };
    let moto = Moto::start();
    let from_moto = scenario(moto.url.clone(), Box::new(|_| {})).await;
    let sandbox = std::sync::Arc::new(harness::start());
    let confirm = sandbox.clone();
    let from_sandbox = scenario(
        sandbox.endpoints().ses.clone(),
        Box::new(move |a| confirm.confirm_address(a).unwrap()),
    )
    .await;
    assert_eq!(from_moto, from_sandbox);
    assert_eq!(from_sandbox, [Ok(true), Err("MessageRejected".to_string())]);
}

/// The event store's transaction, as the SDK sees it: a batch of conditional puts and an
/// `ADD` to a counter goes through; a second batch holding one record that exists is
/// cancelled whole, with `CancellationReasons` in the order of its actions, which the SDK
/// parses into `TransactionCanceledException`; the counter is untouched.
async fn transaction(ddb_url: String) -> Vec<String> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDSANDBOXTEST",
                "sandbox-secret",
                None,
                None,
                "contract",
            ))
            .endpoint_url(&ddb_url)
            .build(),
    );
    create_events_table(&ddb).await;
    let s = |v: &str| AttributeValue::S(v.to_string());
    let put = |sk: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("mailform-events")
                    .item("pk", s("domain#springfield-library.org"))
                    .item("sk", s(sk))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let add = |n: u64| {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name("mailform-events")
                    .key("pk", s("rollup#springfield-library.org"))
                    .key("sk", s("2026-01-01"))
                    .update_expression("ADD #c :c")
                    .expression_attribute_names("#c", "delivered")
                    .expression_attribute_values(":c", AttributeValue::N(n.to_string()))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let mut out = Vec::new();
    let first = ddb
        .transact_write_items()
        .transact_items(put("2026-01-01#m-1#delivery#a@x.org"))
        .transact_items(add(1))
        .send()
        .await;
    out.push(format!("first: {:?}", first.map(|_| "written")));
    let second = ddb
        .transact_write_items()
        .transact_items(put("2026-01-01#m-2#delivery#b@x.org"))
        .transact_items(put("2026-01-01#m-1#delivery#a@x.org"))
        .transact_items(add(2))
        .send()
        .await;
    match second.map_err(|e| e.into_service_error()) {
        Err(TransactWriteItemsError::TransactionCanceledException(e)) => {
            let codes: Vec<&str> = e
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("(no code)"))
                .collect();
            out.push(format!("second: cancelled {codes:?}"));
        }
        other => out.push(format!("second: {other:?}")),
    }
    let counter = ddb
        .get_item()
        .table_name("mailform-events")
        .key("pk", s("rollup#springfield-library.org"))
        .key("sk", s("2026-01-01"))
        .send()
        .await
        .unwrap();
    out.push(format!(
        "delivered {:?}",
        counter.item().and_then(|i| i.get("delivered")).cloned()
    ));
    let m2 = ddb
        .get_item()
        .table_name("mailform-events")
        .key("pk", s("domain#springfield-library.org"))
        .key("sk", s("2026-01-01#m-2#delivery#b@x.org"))
        .send()
        .await
        .unwrap();
    out.push(format!("m-2 written: {}", m2.item().is_some()));
    out
}

#[tokio::test]
async fn a_cancelled_transaction_agrees() {
    let moto = Moto::start();
    let from_moto = transaction(moto.url.clone()).await;
    let sandbox = harness::start();
    let from_sandbox = transaction(sandbox.endpoints().dynamodb.clone()).await;
    assert_eq!(from_moto, from_sandbox);
    assert_eq!(
        from_sandbox,
        [
            "first: Ok(\"written\")",
            "second: cancelled [\"None\", \"ConditionalCheckFailed\", \"None\"]",
            "delivered Some(N(\"1\"))",
            "m-2 written: false",
        ]
    );
}
