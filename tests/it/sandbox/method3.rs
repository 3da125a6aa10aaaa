//! Method 3: the platform buys a domain through Route 53 Domains and writes
//! the DKIM records into the hosted zone AWS creates with it.

use std::time::Duration;

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ChangeStatus, RrType};
use aws_sdk_route53domains::types::{
    ContactDetail, ContactType, CountryCode, DomainAvailability, OperationStatus,
};
use aws_sdk_sesv2::types::DkimStatus;
use hickory_resolver::proto::rr::{RData, RecordType};

use super::route53_rules::record_change;
use crate::support::sandbox as harness;

const DOMAIN: &str = "springfield-library.org";

pub fn contact() -> ContactDetail {
    contact_with_phone("+1.5555550100")
}

pub fn contact_with_phone(phone: &str) -> ContactDetail {
    ContactDetail::builder()
        .first_name("Ada")
        .last_name("Byron")
        .contact_type(ContactType::PublicBody)
        .organization_name("Springfield Public Library")
        .address_line1("1 Main Street")
        .city("Springfield")
        .country_code(CountryCode::Us)
        .zip_code("12345")
        .phone_number(phone)
        .email("it@springfield-library.org")
        .build()
}

#[tokio::test]
async fn method_3_story_register_then_write_records_to_the_hosted_zone() {
    let sandbox = harness::start();
    let domains = harness::domains(&sandbox);
    let route53 = harness::route53(&sandbox);
    let ses = harness::ses(&sandbox);
    let dns = harness::resolver(&sandbox);

    let availability = domains
        .check_domain_availability()
        .domain_name(DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        availability.availability(),
        Some(&DomainAvailability::Available)
    );
    let prices = domains.list_prices().tld("org").send().await.unwrap();
    let org = &prices.prices()[0];
    assert_eq!(org.name(), Some("org"));
    let registration = org.registration_price().unwrap();
    assert_eq!(
        (registration.price(), registration.currency()),
        (15.0, "USD")
    );
    assert!(org.renewal_price().is_some());

    let registered = domains
        .register_domain()
        .domain_name(DOMAIN)
        .duration_in_years(1)
        .admin_contact(contact())
        .registrant_contact(contact())
        .tech_contact(contact())
        .send()
        .await
        .unwrap();
    let operation = registered.operation_id().unwrap().to_string();
    let status = || async {
        domains
            .get_operation_detail()
            .operation_id(&operation)
            .send()
            .await
            .unwrap()
            .status()
            .cloned()
    };
    assert_eq!(status().await, Some(OperationStatus::Submitted));
    sandbox.advance_clock(Duration::from_secs(60));
    assert_eq!(status().await, Some(OperationStatus::InProgress));
    sandbox.advance_clock(Duration::from_secs(15 * 60));
    assert_eq!(status().await, Some(OperationStatus::Successful));
    let listed = domains.list_domains().send().await.unwrap();
    let names: Vec<_> = listed.domains().iter().map(|d| d.domain_name()).collect();
    assert_eq!(names, [Some(DOMAIN)]);
    let detail = domains
        .get_domain_detail()
        .domain_name(DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(detail.nameservers().len(), 4);
    let again = domains
        .check_domain_availability()
        .domain_name(DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(again.availability(), Some(&DomainAvailability::Unavailable));

    // The hosted zone AWS made with the registration.
    let zones = route53
        .list_hosted_zones_by_name()
        .dns_name(DOMAIN)
        .send()
        .await
        .unwrap();
    let zone = &zones.hosted_zones()[0];
    assert_eq!(zone.name(), format!("{DOMAIN}."));
    let zone_id = zone.id().to_string();

    let identity = ses
        .create_email_identity()
        .email_identity(DOMAIN)
        .send()
        .await
        .unwrap();
    let dkim = identity.dkim_attributes().unwrap();
    let signing_zone = dkim.signing_hosted_zone().unwrap();
    let changes: Vec<Change> = dkim
        .tokens()
        .iter()
        .map(|t| {
            record_change(
                ChangeAction::Create,
                &format!("{t}._domainkey.{DOMAIN}"),
                RrType::Cname,
                &[&format!("{t}.{signing_zone}")],
            )
        })
        .collect();
    let changed = route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let change_id = changed.change_info().unwrap().id().to_string();
    let change = route53.get_change().id(change_id).send().await.unwrap();
    assert_eq!(
        change.change_info().unwrap().status(),
        &ChangeStatus::Insync
    );

    let token = &dkim.tokens()[0];
    let answer = dns
        .lookup(
            format!("{token}._domainkey.{DOMAIN}.").as_str(),
            RecordType::CNAME,
        )
        .await
        .unwrap();
    let target = answer.answers().iter().find_map(|r| match &r.data {
        RData::CNAME(name) => Some(name.0.to_string()),
        _ => None,
    });
    assert_eq!(target, Some(format!("{token}.{signing_zone}.")));
    let soa = dns.lookup(DOMAIN, RecordType::SOA).await.unwrap();
    assert_eq!(soa.answers().len(), 1);

    let got = ses
        .get_email_identity()
        .email_identity(DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.dkim_attributes().and_then(|d| d.status()),
        Some(&DkimStatus::Success)
    );
}
