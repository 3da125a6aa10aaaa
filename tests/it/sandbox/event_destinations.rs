//! The sandbox's configuration sets and event destinations answer as SES v2 does where apply
//! depends on it: `NotFoundException` (404) for a set or destination that is not there,
//! `AlreadyExistsException` (400) for one made twice, and a destination read back as written.

use aws_sdk_sesv2::error::ProvideErrorMetadata as _;
use aws_sdk_sesv2::types::{EventDestinationDefinition, EventType, SnsDestination};

use crate::support::sandbox as harness;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-events";

fn definition(enabled: bool) -> EventDestinationDefinition {
    EventDestinationDefinition::builder()
        .enabled(enabled)
        .matching_event_types(EventType::Bounce)
        .matching_event_types(EventType::DeliveryDelay)
        .sns_destination(SnsDestination::builder().topic_arn(TOPIC).build().unwrap())
        .build()
}

/// The error code of an answer, `None` for success.
fn code<T, E: aws_sdk_sesv2::error::ProvideErrorMetadata>(r: Result<T, E>) -> Option<String> {
    r.err().and_then(|e| e.code().map(str::to_string))
}

#[tokio::test]
async fn sets_and_destinations_answer_with_ses_error_codes() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    let get = || {
        ses.get_configuration_set_event_destinations()
            .configuration_set_name("library-mail")
            .send()
    };
    let create = |enabled: bool| {
        ses.create_configuration_set_event_destination()
            .configuration_set_name("library-mail")
            .event_destination_name("mailform-events")
            .event_destination(definition(enabled))
            .send()
    };
    let update = || {
        ses.update_configuration_set_event_destination()
            .configuration_set_name("library-mail")
            .event_destination_name("mailform-events")
            .event_destination(definition(true))
            .send()
    };
    let make_set = || {
        ses.create_configuration_set()
            .configuration_set_name("library-mail")
            .send()
    };
    let missing_set = get().await.unwrap_err();
    assert_eq!(missing_set.code(), Some("NotFoundException"));
    assert_eq!(
        missing_set.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );
    let not_found = Some("NotFoundException".to_string());
    assert_eq!(code(create(true).await), not_found);

    assert_eq!(code(make_set().await), None);
    let twice = make_set().await.unwrap_err();
    assert_eq!(twice.code(), Some("AlreadyExistsException"));
    assert_eq!(twice.raw_response().map(|r| r.status().as_u16()), Some(400));

    assert_eq!(code(update().await), not_found);
    assert_eq!(code(create(false).await), None);
    assert_eq!(
        code(create(false).await).as_deref(),
        Some("AlreadyExistsException")
    );
    assert_eq!(code(update().await), None);
    let read = get().await.unwrap();
    let [d] = read.event_destinations() else {
        panic!("{read:?}")
    };
    assert_eq!(d.name(), "mailform-events");
    assert!(d.enabled());
    assert_eq!(
        d.matching_event_types(),
        [EventType::Bounce, EventType::DeliveryDelay]
    );
    assert_eq!(d.sns_destination().map(|s| s.topic_arn()), Some(TOPIC));
}
