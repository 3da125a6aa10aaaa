//! The AWS account mailform runs in: the [`AccountReader`] trait and its aws-sdk-sts adapter.
//!
//! Apply needs the account id for one thing: the ARN `TagResource` takes, to put mailform's
//! ownership tags on an SES identity that exists already (an adopted one). SES v2 has no call
//! that answers its own ARN, so the id comes from STS `GetCallerIdentity`, which every
//! principal may call (AWS documents that it needs no permission).

use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_sts::Client;

use super::aws::{AwsOptions, classify, limited_http_client};
use super::error::{ReadError, ReadErrorKind, System};

/// STS is called once per apply, and only when an identity needs tags: one request a second
/// is far below any limit and never makes that call wait.
const STS_RATE: f64 = 1.0;

/// Reads which AWS account the credentials belong to.
pub trait AccountReader {
    /// `GetCallerIdentity`: the 12-digit account id.
    fn account_id(&self) -> impl Future<Output = Result<String, ReadError>> + Send;
}

/// The aws-sdk-sts adapter, in the platform's region.
#[derive(Debug, Clone)]
pub struct AwsAccount {
    client: Client,
    attempts: u32,
}

impl AwsAccount {
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions) -> Self {
        let mut config = aws_sdk_sts::config::Builder::from(sdk).http_client(limited_http_client(
            "sts",
            STS_RATE,
            Default::default(),
        ));
        if let Some(url) = &opts.endpoints.sts {
            config = config.endpoint_url(url);
        }
        AwsAccount {
            client: Client::from_conf(config.build()),
            attempts: opts.retries.max_attempts,
        }
    }
}

impl AccountReader for AwsAccount {
    async fn account_id(&self) -> Result<String, ReadError> {
        const OP: &str = "GetCallerIdentity";
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify(System::Sts, OP, self.attempts, e))?;
        match out.account() {
            Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(id.to_string())
            }
            other => Err(ReadError::new(
                System::Sts,
                OP,
                ReadErrorKind::Service {
                    code: "invalid-answer".into(),
                    message: format!("no 12-digit account id in the answer ({other:?})"),
                },
            )),
        }
    }
}
