//! The demo's deliverability part: the SES event pipeline's one-time setup (the README's
//! "Deliverability" commands, done here through the SDK against the demo's own sandbox; the
//! platform's configuration set and its event destination are the demo's apply's), then a
//! few messages to Amazon's mailbox simulator from each SES library (through its SES tenant
//! when the platform manages tenants), so `events drain` and `deliverability` have the
//! library's own events, and its own suppression list, to show.

use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use mailform::model::{Config, EventSettings};
use mailform::sandbox::SandboxHandle;

/// What each SES library sends: the simulator's success, hard bounce and complaint addresses.
pub const SIMULATOR: [&str; 3] = ["success", "bounce", "complaint"];

/// The name at the end of a queue URL or topic ARN.
fn last(text: &str) -> &str {
    text.rsplit(['/', ':']).next().unwrap_or(text)
}

/// Sets the pipeline up in `sandbox` and sends [`SIMULATOR`] from each SES library; returns the
/// libraries that sent, by id.
pub fn set_up_and_send(
    sandbox: &SandboxHandle,
    config: &Config,
    events: &EventSettings,
) -> Result<Vec<String>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let endpoints = sandbox.endpoints();
        let credentials =
            aws_sdk_sqs::config::Credentials::new("sandbox", "sandbox", None, None, "demo");
        let region = aws_sdk_sqs::config::Region::new(config.platform.aws_region.clone());
        // One client per service, each at the sandbox's endpoint; the sandbox takes any keys.
        macro_rules! client {
            ($sdk:ident, $endpoint:expr) => {
                $sdk::Client::from_conf(
                    $sdk::Config::builder()
                        .behavior_version($sdk::config::BehaviorVersion::latest())
                        .region(region.clone())
                        .credentials_provider(credentials.clone())
                        .endpoint_url($endpoint)
                        .build(),
                )
            };
        }
        let sqs = client!(aws_sdk_sqs, &endpoints.sqs);
        let sns = client!(aws_sdk_sns, &endpoints.sns);
        let dynamodb = client!(aws_sdk_dynamodb, &endpoints.dynamodb);
        let ses = client!(aws_sdk_sesv2, &endpoints.ses);
        let fail = |what: &str, e: &dyn std::fmt::Display| format!("the demo's {what}: {e}");
        let queue = last(&events.queue_url);
        // The queue's ARN, in the topic's region and account (the queue URL names neither).
        let account = events.topic_arn.split(':').nth(4).unwrap_or_default();
        let queue_arn = format!(
            "arn:aws:sqs:{}:{account}:{queue}",
            config.platform.aws_region
        );
        sqs.create_queue()
            .queue_name(last(&events.dead_letter_queue_url))
            .send()
            .await
            .map_err(|e| fail("dead-letter queue", &DisplayErrorContext(e)))?;
        sqs.create_queue()
            .queue_name(queue)
            .send()
            .await
            .map_err(|e| fail("queue", &DisplayErrorContext(e)))?;
        let topic = sns
            .create_topic()
            .name(last(&events.topic_arn))
            .send()
            .await
            .map_err(|e| fail("topic", &DisplayErrorContext(e)))?;
        let topic_arn = topic.topic_arn().unwrap_or(&events.topic_arn).to_string();
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .map_err(|e| fail("subscription", &DisplayErrorContext(e)))?;
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let table = dynamodb
            .create_table()
            .table_name(&events.table)
            .attribute_definitions(attribute("pk").map_err(|e| fail("table", &e))?)
            .attribute_definitions(attribute("sk").map_err(|e| fail("table", &e))?)
            .key_schema(key("pk", KeyType::Hash).map_err(|e| fail("table", &e))?)
            .key_schema(key("sk", KeyType::Range).map_err(|e| fail("table", &e))?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        // The sandbox starts with the default table, as the README's setup leaves it.
        match table {
            Err(e)
                if !e
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                return Err(fail("table", &DisplayErrorContext(e)));
            }
            _ => {}
        }

        // Every configuration set an SES library sends with gets the event destination; the
        // platform's events set has it already (the demo's apply made both).
        let senders: Vec<(&str, String, &str)> = config
            .libraries
            .iter()
            .filter_map(|l| {
                let set = config.platform.configuration_set_for(l)?;
                let from = l.method.from_address().to_string();
                Some((l.id.as_str(), from, set))
            })
            .collect();
        let mut sets: Vec<&str> = senders.iter().map(|(_, _, set)| *set).collect();
        sets.sort_unstable();
        sets.dedup();
        for set in sets
            .into_iter()
            .filter(|set| *set != events.configuration_set)
        {
            // A library's own set exists already (the demo made it before the plan).
            let destination = mailform::events::event_destination(&topic_arn)
                .map_err(|e| fail("event destination", &e))?;
            ses.create_configuration_set_event_destination()
                .configuration_set_name(set)
                .event_destination_name(&events.destination)
                .event_destination(destination)
                .send()
                .await
                .map_err(|e| fail("event destination", &DisplayErrorContext(e)))?;
        }

        // The libraries' domains are not verified yet (their DKIM records wait on their IT
        // staff, the managed domains on their registration), so each From address is verified
        // on its own: the sandbox plays the click on SES's confirmation link.
        for (id, from, set) in &senders {
            ses.create_email_identity()
                .email_identity(from)
                .send()
                .await
                .map_err(|e| fail("From address", &DisplayErrorContext(e)))?;
            sandbox
                .confirm_address(from)
                .map_err(|e| fail("From address", &e))?;
            // With tenants, each library's mail goes through its tenant, as the platform's
            // sending code sends it; SES sends through a tenant only resources it holds, and
            // the demo's From address stands in for the domain that is not verified yet.
            let tenant = config.platform.tenants.is_some().then_some(*id);
            if let Some(tenant) = tenant {
                ses.create_tenant_resource_association()
                    .tenant_name(tenant)
                    .resource_arn(format!(
                        "arn:aws:ses:{}:{account}:identity/{from}",
                        config.platform.aws_region
                    ))
                    .send()
                    .await
                    .map_err(|e| fail(&format!("tenant {tenant}"), &DisplayErrorContext(e)))?;
            }
            for local in SIMULATOR {
                let text = |t: &str| Content::builder().data(t).build();
                let message = Message::builder()
                    .subject(text("Your loan is due").map_err(|e| fail("message", &e))?)
                    .body(
                        Body::builder()
                            .text(text("Please bring it back.").map_err(|e| fail("message", &e))?)
                            .build(),
                    )
                    .build();
                ses.send_email()
                    .from_email_address(from)
                    .destination(
                        Destination::builder()
                            .to_addresses(format!("{local}@simulator.amazonses.com"))
                            .build(),
                    )
                    .content(EmailContent::builder().simple(message).build())
                    .configuration_set_name(*set)
                    .set_tenant_name(tenant.map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| fail(&format!("mail from {id}"), &DisplayErrorContext(e)))?;
            }
        }
        Ok(senders.iter().map(|(id, _, _)| id.to_string()).collect())
    })
}
