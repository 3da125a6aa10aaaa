//! SES: the [`SesReader`] trait and its aws-sdk-sesv2 adapter.

use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::ProvideErrorMetadata as _;

use super::aws::{AwsOptions, classify, limited_http_client, secs};
use super::error::{ReadError, System};
use super::facts::{
    ConfigurationSet, DkimFacts, IdentityKind, IdentitySummary, MailFromFacts, SesAccount,
    SesIdentity, Status, Tags,
};

/// The most `ListEmailIdentities` returns a page: at SES's one request a second, 1,000
/// identities are one call instead of ten at the default of 100.
const MAX_PAGE_SIZE: i32 = 1000;

/// Reads the SES account of the platform's region.
pub trait SesReader {
    /// `GetAccount`.
    fn account(&self) -> impl Future<Output = Result<SesAccount, ReadError>> + Send;
    /// `ListEmailIdentities`, every page.
    fn identities(&self) -> impl Future<Output = Result<Vec<IdentitySummary>, ReadError>> + Send;
    /// `GetEmailIdentity`; `None` when there is no such identity.
    fn identity(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<SesIdentity>, ReadError>> + Send;
    /// `ListConfigurationSets`, every page.
    fn configuration_sets(
        &self,
    ) -> impl Future<Output = Result<Vec<ConfigurationSet>, ReadError>> + Send;
}

/// The aws-sdk-sesv2 adapter.
#[derive(Debug, Clone)]
pub struct AwsSes {
    pub(super) client: Client,
    pub(super) attempts: u32,
    pub(super) page_size: Option<i32>,
}

impl AwsSes {
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions) -> Self {
        let mut config = aws_sdk_sesv2::config::Builder::from(sdk).http_client(
            limited_http_client("ses", opts.rates.ses, opts.meters.ses.clone()),
        );
        if let Some(url) = &opts.endpoints.ses {
            config = config.endpoint_url(url);
        }
        AwsSes {
            client: Client::from_conf(config.build()),
            attempts: opts.retries.max_attempts,
            page_size: opts.page_size,
        }
    }
}

impl SesReader for AwsSes {
    async fn account(&self) -> Result<SesAccount, ReadError> {
        let out = self
            .client
            .get_account()
            .send()
            .await
            .map_err(|e| classify(System::Ses, "GetAccount", self.attempts, e))?;
        Ok(SesAccount {
            production_access: out.production_access_enabled(),
            sending_enabled: out.sending_enabled(),
            max_24_hour_send: out.send_quota().map(|q| q.max24_hour_send()),
            max_send_rate: out.send_quota().map(|q| q.max_send_rate()),
        })
    }

    async fn identities(&self) -> Result<Vec<IdentitySummary>, ReadError> {
        let mut pages = self
            .client
            .list_email_identities()
            .set_page_size(self.page_size.or(Some(MAX_PAGE_SIZE)))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify(System::Ses, "ListEmailIdentities", self.attempts, e))?;
            for info in page.email_identities() {
                out.push(IdentitySummary {
                    name: info
                        .identity_name()
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                    kind: IdentityKind::parse(
                        info.identity_type().map(|t| t.as_str()).unwrap_or_default(),
                    ),
                    verification_status: info
                        .verification_status()
                        .map(|s| Status::parse(s.as_str())),
                    sending_enabled: info.sending_enabled(),
                });
            }
        }
        Ok(out)
    }

    async fn identity(&self, name: &str) -> Result<Option<SesIdentity>, ReadError> {
        let out = match self
            .client
            .get_email_identity()
            .email_identity(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("NotFoundException") => return Ok(None),
            Err(e) => {
                return Err(
                    classify(System::Ses, "GetEmailIdentity", self.attempts, e).resource(name)
                );
            }
        };
        let dkim = out.dkim_attributes().map(|d| DkimFacts {
            signing_enabled: d.signing_enabled(),
            status: d.status().map(|s| Status::parse(s.as_str())),
            tokens: d.tokens().to_vec(),
            signing_hosted_zone: d
                .signing_hosted_zone()
                .map(|z| z.trim_end_matches('.').to_ascii_lowercase()),
            origin: d
                .signing_attributes_origin()
                .map(|o| o.as_str().to_string()),
            current_key_length: d
                .current_signing_key_length()
                .map(|k| k.as_str().to_string()),
            next_key_length: d.next_signing_key_length().map(|k| k.as_str().to_string()),
            last_key_generation: d.last_key_generation_timestamp().map(secs),
        });
        let mail_from = out.mail_from_attributes().map(|m| MailFromFacts {
            domain: m.mail_from_domain().to_ascii_lowercase(),
            status: m.mail_from_domain_status().as_str().to_string(),
            behavior_on_mx_failure: m.behavior_on_mx_failure().as_str().to_string(),
        });
        let tags: Tags = out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        Ok(Some(SesIdentity {
            name: name.to_ascii_lowercase(),
            kind: IdentityKind::parse(out.identity_type().map(|t| t.as_str()).unwrap_or_default()),
            verification_status: out.verification_status().map(|s| Status::parse(s.as_str())),
            verified_for_sending: out.verified_for_sending_status(),
            dkim,
            mail_from,
            configuration_set: out.configuration_set_name().map(str::to_string),
            tags,
            verification_error: out
                .verification_info()
                .and_then(|v| v.error_type())
                .map(|e| e.as_str().to_string()),
        }))
    }

    async fn configuration_sets(&self) -> Result<Vec<ConfigurationSet>, ReadError> {
        let mut pages = self
            .client
            .list_configuration_sets()
            .set_page_size(self.page_size)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify(System::Ses, "ListConfigurationSets", self.attempts, e))?;
            out.extend(
                page.configuration_sets()
                    .iter()
                    .map(|name| ConfigurationSet { name: name.clone() }),
            );
        }
        Ok(out)
    }
}

/// Changes the SES identities mailform owns. Errors are the readers' [`ReadError`]: the same
/// one line naming system, operation, resource and, on AccessDenied, the IAM action to grant.
pub trait SesWriter {
    /// `CreateEmailIdentity` with Easy DKIM at `key_length` (`RSA_2048_BIT`, `RSA_1024_BIT`),
    /// the tags and, if given, the default configuration set.
    fn create_identity(
        &self,
        name: &str,
        key_length: &str,
        configuration_set: Option<&str>,
        tags: &Tags,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `PutEmailIdentityDkimSigningAttributes`: the next Easy DKIM key length.
    fn put_key_length(
        &self,
        name: &str,
        key_length: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `PutEmailIdentityMailFromAttributes`; `None` removes the custom MAIL FROM domain.
    fn put_mail_from(
        &self,
        name: &str,
        domain: Option<&str>,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `PutEmailIdentityConfigurationSetAttributes`; `None` removes the default set.
    fn put_configuration_set(
        &self,
        name: &str,
        set: Option<&str>,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `DeleteEmailIdentity`.
    fn delete_identity(&self, name: &str) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `TagResource` on the identity `name`, whose ARN is `arn` (see [`identity_arn`]): adds
    /// or overwrites these tags, leaving any others.
    fn tag_identity(
        &self,
        name: &str,
        arn: &str,
        tags: &Tags,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
}

/// The ARN of an SES configuration set, as a tenant association wants it.
pub fn configuration_set_arn(region: &str, account_id: &str, name: &str) -> String {
    format!("arn:aws:ses:{region}:{account_id}:configuration-set/{name}")
}

/// The ARN of an SES identity, as `TagResource` wants it.
pub fn identity_arn(region: &str, account_id: &str, name: &str) -> String {
    format!("arn:aws:ses:{region}:{account_id}:identity/{name}")
}

pub(super) fn sdk_tags(
    operation: &'static str,
    name: &str,
    tags: &Tags,
) -> Result<Vec<aws_sdk_sesv2::types::Tag>, ReadError> {
    tags.iter()
        .map(|(k, v)| aws_sdk_sesv2::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(operation, name, e))
}

/// A request the SDK refused to build: a bug of ours, named like any other failure.
pub(super) fn invalid(operation: &'static str, name: &str, e: impl std::fmt::Display) -> ReadError {
    ReadError::new(
        System::Ses,
        operation,
        super::error::ReadErrorKind::Service {
            code: "invalid-request".into(),
            message: e.to_string(),
        },
    )
    .resource(name)
}

impl SesWriter for AwsSes {
    async fn create_identity(
        &self,
        name: &str,
        key_length: &str,
        configuration_set: Option<&str>,
        tags: &Tags,
    ) -> Result<(), ReadError> {
        use aws_sdk_sesv2::types::{DkimSigningAttributes, DkimSigningKeyLength};
        const OP: &str = "CreateEmailIdentity";
        let tags = sdk_tags(OP, name, tags)?;
        self.client
            .create_email_identity()
            .email_identity(name)
            .dkim_signing_attributes(
                DkimSigningAttributes::builder()
                    .next_signing_key_length(DkimSigningKeyLength::from(key_length))
                    .build(),
            )
            .set_configuration_set_name(configuration_set.map(str::to_string))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }

    async fn put_key_length(&self, name: &str, key_length: &str) -> Result<(), ReadError> {
        use aws_sdk_sesv2::types::{
            DkimSigningAttributes, DkimSigningAttributesOrigin, DkimSigningKeyLength,
        };
        const OP: &str = "PutEmailIdentityDkimSigningAttributes";
        self.client
            .put_email_identity_dkim_signing_attributes()
            .email_identity(name)
            .signing_attributes_origin(DkimSigningAttributesOrigin::AwsSes)
            .signing_attributes(
                DkimSigningAttributes::builder()
                    .next_signing_key_length(DkimSigningKeyLength::from(key_length))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }

    async fn put_mail_from(&self, name: &str, domain: Option<&str>) -> Result<(), ReadError> {
        use aws_sdk_sesv2::types::BehaviorOnMxFailure;
        const OP: &str = "PutEmailIdentityMailFromAttributes";
        self.client
            .put_email_identity_mail_from_attributes()
            .email_identity(name)
            .set_mail_from_domain(domain.map(str::to_string))
            .set_behavior_on_mx_failure(domain.map(|_| BehaviorOnMxFailure::UseDefaultValue))
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }

    async fn put_configuration_set(&self, name: &str, set: Option<&str>) -> Result<(), ReadError> {
        const OP: &str = "PutEmailIdentityConfigurationSetAttributes";
        self.client
            .put_email_identity_configuration_set_attributes()
            .email_identity(name)
            .set_configuration_set_name(set.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }

    async fn delete_identity(&self, name: &str) -> Result<(), ReadError> {
        const OP: &str = "DeleteEmailIdentity";
        match self
            .client
            .delete_email_identity()
            .email_identity(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Gone already (a second apply since the re-read, or a retry after a lost answer):
            // what was asked is true.
            Err(e) if e.code() == Some("NotFoundException") => Ok(()),
            Err(e) => Err(classify(System::Ses, OP, self.attempts, e).resource(name)),
        }
    }

    async fn tag_identity(&self, name: &str, arn: &str, tags: &Tags) -> Result<(), ReadError> {
        const OP: &str = "TagResource";
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(OP, name, tags)?))
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }
}
