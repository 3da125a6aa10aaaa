//! The registrar: the [`RegistrarReader`] trait and its aws-sdk-route53domains adapter.
//! Route 53 Domains is served only in us-east-1, whatever the platform's region.

use std::future::Future;

use aws_config::{Region, SdkConfig};
use aws_sdk_route53domains::Client;
use aws_sdk_route53domains::types::OperationStatus;

use super::aws::{AwsOptions, ROUTE53_DOMAINS_REGION, classify, limited_http_client, secs};
use super::error::{ReadError, System};
use super::facts::{Availability, DomainOperation, RegisteredDomain, Tags, TldPrice};
use crate::secret::Secret;

/// Reads the domains registered through Route 53 Domains.
pub trait RegistrarReader {
    /// `ListDomains`, every page; statuses, name servers and tags are left empty.
    fn domains(&self) -> impl Future<Output = Result<Vec<RegisteredDomain>, ReadError>> + Send;
    /// `GetDomainDetail` and `ListTagsForDomain` of one domain.
    fn domain(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<RegisteredDomain, ReadError>> + Send;
    /// `ListOperations` of the operations not finished (submitted, in progress, in error), every
    /// page.
    fn operations(&self) -> impl Future<Output = Result<Vec<DomainOperation>, ReadError>> + Send;
    /// `CheckDomainAvailability`.
    fn availability(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Availability, ReadError>> + Send;
    /// `ListPrices` for one TLD.
    fn price(&self, tld: &str) -> impl Future<Output = Result<Option<TldPrice>, ReadError>> + Send;
    /// `ListTagsForDomain` alone: also answers for a domain whose registration is under way.
    fn tags(&self, domain: &str) -> impl Future<Output = Result<Tags, ReadError>> + Send;
}

/// The aws-sdk-route53domains adapter, pinned to us-east-1.
#[derive(Debug, Clone)]
pub struct AwsRegistrar {
    client: Client,
    attempts: u32,
    page_size: Option<i32>,
}

impl AwsRegistrar {
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions) -> Self {
        let mut config = aws_sdk_route53domains::config::Builder::from(sdk)
            .region(Region::new(ROUTE53_DOMAINS_REGION))
            .http_client(limited_http_client(
                "route53domains",
                opts.rates.route53domains,
                opts.meters.route53domains.clone(),
            ));
        if let Some(url) = &opts.endpoints.route53domains {
            config = config.endpoint_url(url);
        }
        AwsRegistrar {
            client: Client::from_conf(config.build()),
            attempts: opts.retries.max_attempts,
            page_size: opts.page_size,
        }
    }
}

/// The most `ListDomains` and `ListOperations` return a page (AWS's default is 20): at Route 53
/// Domains' one request a second, pages are what a plan over hundreds of domains waits for.
const MAX_ITEMS: i32 = 100;

/// The operation statuses `ListOperations` is asked for: all but `SUCCESSFUL` and `FAILED`.
const UNFINISHED: [OperationStatus; 3] = [
    OperationStatus::Submitted,
    OperationStatus::InProgress,
    OperationStatus::Error,
];

/// A request that must reach AWS at most once: money (`RegisterDomain`) or a secret in the
/// answer (a transfer password, an auth code). A lost answer is reported as unknown instead.
fn no_retries() -> aws_sdk_route53domains::config::Builder {
    aws_sdk_route53domains::config::Builder::default()
        .retry_config(aws_sdk_route53domains::config::retry::RetryConfig::disabled())
}

fn plain_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl RegistrarReader for AwsRegistrar {
    async fn domains(&self) -> Result<Vec<RegisteredDomain>, ReadError> {
        let mut pages = self
            .client
            .list_domains()
            .set_max_items(self.page_size.or(Some(MAX_ITEMS)))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| classify(System::Route53Domains, "ListDomains", self.attempts, e))?;
            out.extend(page.domains().iter().map(|d| RegisteredDomain {
                name: plain_name(d.domain_name().unwrap_or_default()),
                auto_renew: d.auto_renew(),
                transfer_lock: d.transfer_lock(),
                expiry: d.expiry().map(secs),
                created: None,
                statuses: Vec::new(),
                name_servers: Vec::new(),
                tags: Tags::new(),
            }));
        }
        Ok(out)
    }

    async fn domain(&self, name: &str) -> Result<RegisteredDomain, ReadError> {
        let detail = self
            .client
            .get_domain_detail()
            .domain_name(name)
            .send()
            .await
            .map_err(|e| {
                classify(System::Route53Domains, "GetDomainDetail", self.attempts, e).resource(name)
            })?;
        let tags = self.tags(name).await?;
        Ok(RegisteredDomain {
            name: plain_name(detail.domain_name().unwrap_or(name)),
            auto_renew: detail.auto_renew(),
            transfer_lock: None,
            expiry: detail.expiration_date().map(secs),
            created: detail.creation_date().map(secs),
            statuses: detail.status_list().to_vec(),
            name_servers: detail
                .nameservers()
                .iter()
                .map(|n| plain_name(n.name()))
                .collect(),
            tags,
        })
    }

    async fn tags(&self, name: &str) -> Result<Tags, ReadError> {
        let tags = self
            .client
            .list_tags_for_domain()
            .domain_name(name)
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Route53Domains,
                    "ListTagsForDomain",
                    self.attempts,
                    e,
                )
                .resource(name)
            })?;
        Ok(tags
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect())
    }

    async fn operations(&self) -> Result<Vec<DomainOperation>, ReadError> {
        let mut pages = self
            .client
            .list_operations()
            // Only what is not finished: the finished ones grow with every purchase and
            // setting change, and nothing mailform decides depends on them (a registration
            // that succeeded shows in ListDomains).
            .set_status(Some(UNFINISHED.to_vec()))
            .set_max_items(self.page_size.or(Some(MAX_ITEMS)))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                classify(System::Route53Domains, "ListOperations", self.attempts, e)
            })?;
            out.extend(page.operations().iter().map(|o| {
                DomainOperation {
                    id: o.operation_id().unwrap_or_default().to_string(),
                    domain: o.domain_name().map(plain_name),
                    kind: o
                        .r#type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    status: o
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    submitted: o.submitted_date().map(secs),
                    tags: None,
                }
            }));
        }
        Ok(out)
    }

    async fn availability(&self, domain: &str) -> Result<Availability, ReadError> {
        let out = self
            .client
            .check_domain_availability()
            .domain_name(domain)
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Route53Domains,
                    "CheckDomainAvailability",
                    self.attempts,
                    e,
                )
                .resource(domain)
            })?;
        Ok(Availability {
            domain: plain_name(domain),
            answer: out
                .availability()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
        })
    }

    async fn price(&self, tld: &str) -> Result<Option<TldPrice>, ReadError> {
        let out = self
            .client
            .list_prices()
            .tld(tld)
            .send()
            .await
            .map_err(|e| {
                classify(System::Route53Domains, "ListPrices", self.attempts, e).resource(tld)
            })?;
        Ok(out
            .prices()
            .iter()
            .find(|p| p.name() == Some(tld))
            .map(|p| TldPrice {
                tld: tld.to_string(),
                registration: p.registration_price().map(|x| x.price()),
                renewal: p.renewal_price().map(|x| x.price()),
                currency: p.registration_price().map(|x| x.currency().to_string()),
            }))
    }
}

/// Changes the settings of domains mailform registered. Registrations are never deleted.
pub trait RegistrarWriter {
    /// `EnableDomainAutoRenew` or `DisableDomainAutoRenew`.
    fn set_auto_renew(
        &self,
        domain: &str,
        on: bool,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `DisableDomainTransferLock`, so the library can move the domain to another registrar.
    fn disable_transfer_lock(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `RegisterDomain` with one contact as registrant, admin and tech; answers the operation
    /// id. Sent once, never retried automatically: a lost answer must not buy twice (the
    /// caller looks for the operation before trying again).
    fn register_domain(
        &self,
        domain: &str,
        years: u8,
        auto_renew: bool,
        contact: &crate::model::Contact,
    ) -> impl Future<Output = Result<String, ReadError>> + Send;
    /// `UpdateTagsForDomain`: puts these tags on the domain (others stay as they are).
    fn tag_domain(
        &self,
        domain: &str,
        tags: &Tags,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `CancelDomainTransferToAnotherAwsAccount`: withdraws a transfer the receiving account
    /// has not accepted yet (its password then stops working); answers the operation id.
    fn cancel_transfer(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<String, ReadError>> + Send;
    /// `TransferDomainToAnotherAwsAccount`: answers the operation id and the password the
    /// receiving account must use within 3 days. The password is a secret: never print it.
    /// Sent once, never retried automatically: a retried request whose first answer was lost
    /// would start the transfer again with a new password, or fail as a duplicate while the
    /// password of the first is gone.
    fn transfer_to_account(
        &self,
        domain: &str,
        account_id: &str,
    ) -> impl Future<Output = Result<(String, Secret), ReadError>> + Send;
    /// `RetrieveDomainAuthCode`: the code another registrar asks for. A secret. Sent once, like
    /// the transfer: a lost answer is asked again by the next apply, never by a silent retry.
    fn retrieve_auth_code(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Secret, ReadError>> + Send;
}

impl RegistrarWriter for AwsRegistrar {
    async fn set_auto_renew(&self, domain: &str, on: bool) -> Result<(), ReadError> {
        let result = if on {
            self.client
                .enable_domain_auto_renew()
                .domain_name(domain)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    classify(
                        System::Route53Domains,
                        "EnableDomainAutoRenew",
                        self.attempts,
                        e,
                    )
                })
        } else {
            self.client
                .disable_domain_auto_renew()
                .domain_name(domain)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    classify(
                        System::Route53Domains,
                        "DisableDomainAutoRenew",
                        self.attempts,
                        e,
                    )
                })
        };
        result.map_err(|e| e.resource(domain))
    }

    async fn register_domain(
        &self,
        domain: &str,
        years: u8,
        auto_renew: bool,
        contact: &crate::model::Contact,
    ) -> Result<String, ReadError> {
        use aws_sdk_route53domains::types::{ContactDetail, ContactType, CountryCode};
        const OP: &str = "RegisterDomain";
        let kind = match contact.contact_type {
            crate::model::ContactType::Person => ContactType::Person,
            crate::model::ContactType::Company => ContactType::Company,
            crate::model::ContactType::Association => ContactType::Association,
            crate::model::ContactType::PublicBody => ContactType::PublicBody,
            crate::model::ContactType::Reseller => ContactType::Reseller,
        };
        let detail = ContactDetail::builder()
            .contact_type(kind)
            .set_organization_name(contact.organization.clone())
            .first_name(&contact.first_name)
            .last_name(&contact.last_name)
            .email(contact.email.to_string())
            .phone_number(&contact.phone)
            .address_line1(&contact.address_line_1)
            .set_address_line2(contact.address_line_2.clone())
            .city(&contact.city)
            .set_state(contact.state.clone())
            .country_code(CountryCode::from(contact.country_code.as_str()))
            .zip_code(&contact.zip_code)
            .build();
        let out = self
            .client
            .register_domain()
            .domain_name(domain)
            .duration_in_years(i32::from(years))
            .auto_renew(auto_renew)
            .admin_contact(detail.clone())
            .registrant_contact(detail.clone())
            .tech_contact(detail)
            .customize()
            .config_override(no_retries())
            .send()
            .await
            .map_err(|e| classify(System::Route53Domains, OP, 1, e).resource(domain))?;
        Ok(out.operation_id().unwrap_or_default().to_string())
    }

    async fn tag_domain(&self, domain: &str, tags: &Tags) -> Result<(), ReadError> {
        use aws_sdk_route53domains::types::Tag;
        let tags: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        self.client
            .update_tags_for_domain()
            .domain_name(domain)
            .set_tags_to_update(Some(tags))
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Route53Domains,
                    "UpdateTagsForDomain",
                    self.attempts,
                    e,
                )
                .resource(domain)
            })?;
        Ok(())
    }

    async fn cancel_transfer(&self, domain: &str) -> Result<String, ReadError> {
        const OP: &str = "CancelDomainTransferToAnotherAwsAccount";
        let out = self
            .client
            .cancel_domain_transfer_to_another_aws_account()
            .domain_name(domain)
            .send()
            .await
            .map_err(|e| classify(System::Route53Domains, OP, self.attempts, e).resource(domain))?;
        Ok(out.operation_id().unwrap_or_default().to_string())
    }

    async fn transfer_to_account(
        &self,
        domain: &str,
        account_id: &str,
    ) -> Result<(String, Secret), ReadError> {
        const OP: &str = "TransferDomainToAnotherAwsAccount";
        let out = self
            .client
            .transfer_domain_to_another_aws_account()
            .domain_name(domain)
            .account_id(account_id)
            .customize()
            .config_override(no_retries())
            .send()
            .await
            .map_err(|e| classify(System::Route53Domains, OP, 1, e).resource(domain))?;
        Ok((
            out.operation_id().unwrap_or_default().to_string(),
            Secret::new(out.password().unwrap_or_default()),
        ))
    }

    async fn retrieve_auth_code(&self, domain: &str) -> Result<Secret, ReadError> {
        const OP: &str = "RetrieveDomainAuthCode";
        let out = self
            .client
            .retrieve_domain_auth_code()
            .domain_name(domain)
            .customize()
            .config_override(no_retries())
            .send()
            .await
            .map_err(|e| classify(System::Route53Domains, OP, 1, e).resource(domain))?;
        Ok(Secret::new(out.auth_code().unwrap_or_default()))
    }

    async fn disable_transfer_lock(&self, domain: &str) -> Result<(), ReadError> {
        self.client
            .disable_domain_transfer_lock()
            .domain_name(domain)
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Route53Domains,
                    "DisableDomainTransferLock",
                    self.attempts,
                    e,
                )
                .resource(domain)
            })?;
        Ok(())
    }
}
