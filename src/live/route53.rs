//! Route 53 records: the [`Route53Reader`] trait and its aws-sdk-route53 adapter.

use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{RrType, TagResourceType};

use super::aws::{AwsOptions, classify, limited_http_client};
use super::error::{ReadError, System};
use super::facts::{HostedZone, RecordSet, Tags};

/// Reads hosted zones, their records and tags.
pub trait Route53Reader {
    /// `ListHostedZones`, every page; records and tags are left empty.
    fn hosted_zones(&self) -> impl Future<Output = Result<Vec<HostedZone>, ReadError>> + Send;
    /// `ListResourceRecordSets` of one zone (by id), every page.
    fn record_sets(
        &self,
        zone_id: &str,
    ) -> impl Future<Output = Result<Vec<RecordSet>, ReadError>> + Send;
    /// `ListTagsForResource` of one zone (by id).
    fn zone_tags(&self, zone_id: &str) -> impl Future<Output = Result<Tags, ReadError>> + Send;
}

/// The aws-sdk-route53 adapter.
#[derive(Debug, Clone)]
pub struct AwsRoute53 {
    client: Client,
    attempts: u32,
    page_size: Option<i32>,
}

impl AwsRoute53 {
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions) -> Self {
        let mut config = aws_sdk_route53::config::Builder::from(sdk).http_client(
            limited_http_client("route53", opts.rates.route53, opts.meters.route53.clone()),
        );
        if let Some(url) = &opts.endpoints.route53 {
            config = config.endpoint_url(url);
        }
        AwsRoute53 {
            client: Client::from_conf(config.build()),
            attempts: opts.retries.max_attempts,
            page_size: opts.page_size,
        }
    }
}

fn plain_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn plain_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

impl Route53Reader for AwsRoute53 {
    async fn hosted_zones(&self) -> Result<Vec<HostedZone>, ReadError> {
        let mut pages = self
            .client
            .list_hosted_zones()
            .set_max_items(self.page_size)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify(System::Route53, "ListHostedZones", self.attempts, e))?;
            out.extend(page.hosted_zones().iter().map(|z| HostedZone {
                id: plain_id(z.id()),
                name: plain_name(z.name()),
                private: z.config().is_some_and(|c| c.private_zone()),
                records: Vec::new(),
                tags: Tags::new(),
            }));
        }
        Ok(out)
    }

    async fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>, ReadError> {
        // No paginator in the SDK for this call: the next page starts at a name, a type and
        // (for weighted and similar sets) an identifier.
        let mut out = Vec::new();
        let mut start: Option<(String, RrType, Option<String>)> = None;
        loop {
            let mut call = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .set_max_items(self.page_size);
            if let Some((name, rtype, identifier)) = start.take() {
                call = call
                    .start_record_name(name)
                    .start_record_type(rtype)
                    .set_start_record_identifier(identifier);
            }
            let page = call.send().await.map_err(|e| {
                classify(System::Route53, "ListResourceRecordSets", self.attempts, e)
                    .resource(zone_id)
            })?;
            out.extend(page.resource_record_sets().iter().map(|r| {
                RecordSet {
                    name: plain_name(r.name()),
                    rtype: r.r#type().as_str().to_string(),
                    ttl: r.ttl(),
                    values: r
                        .resource_records()
                        .iter()
                        .map(|v| v.value().to_string())
                        .collect(),
                    alias_target: r.alias_target().map(|a| plain_name(a.dns_name())),
                }
            }));
            match (
                page.is_truncated(),
                page.next_record_name(),
                page.next_record_type(),
            ) {
                (true, Some(name), Some(rtype)) => {
                    start = Some((
                        name.to_string(),
                        rtype.clone(),
                        page.next_record_identifier().map(str::to_string),
                    ));
                }
                _ => break,
            }
        }
        Ok(out)
    }

    async fn zone_tags(&self, zone_id: &str) -> Result<Tags, ReadError> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(zone_id)
            .send()
            .await
            .map_err(|e| {
                classify(System::Route53, "ListTagsForResource", self.attempts, e).resource(zone_id)
            })?;
        Ok(out
            .resource_tag_set()
            .map(|set| {
                set.tags()
                    .iter()
                    .filter_map(|t| {
                        Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// One record set mailform writes: a name (without the trailing dot), a type, a TTL and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWrite {
    pub name: String,
    pub rtype: String,
    pub ttl: i64,
    pub values: Vec<String>,
}

/// Writes the records mailform owns in a hosted zone.
pub trait Route53Writer {
    /// One `ChangeResourceRecordSets` that UPSERTs exactly these record sets.
    fn upsert_records(
        &self,
        zone_id: &str,
        records: &[RecordWrite],
    ) -> impl std::future::Future<Output = Result<(), ReadError>> + Send;
}

impl Route53Writer for AwsRoute53 {
    async fn upsert_records(
        &self,
        zone_id: &str,
        records: &[RecordWrite],
    ) -> Result<(), ReadError> {
        use aws_sdk_route53::types::{
            Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet,
        };
        const OP: &str = "ChangeResourceRecordSets";
        let invalid = |e: aws_sdk_route53::error::BuildError| {
            ReadError::new(
                System::Route53,
                OP,
                super::error::ReadErrorKind::Service {
                    code: "invalid-request".into(),
                    message: e.to_string(),
                },
            )
            .resource(zone_id)
        };
        let mut changes = Vec::new();
        for r in records {
            let values = r
                .values
                .iter()
                .map(|v| ResourceRecord::builder().value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(invalid)?;
            let set = ResourceRecordSet::builder()
                .name(format!("{}.", r.name))
                .r#type(RrType::from(r.rtype.as_str()))
                .ttl(r.ttl)
                .set_resource_records(Some(values))
                .build()
                .map_err(invalid)?;
            changes.push(
                Change::builder()
                    .action(ChangeAction::Upsert)
                    .resource_record_set(set)
                    .build()
                    .map_err(invalid)?,
            );
        }
        let batch = ChangeBatch::builder()
            .comment("mailform apply")
            .set_changes(Some(changes))
            .build()
            .map_err(invalid)?;
        self.client
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| classify(System::Route53, OP, self.attempts, e).resource(zone_id))?;
        Ok(())
    }
}
