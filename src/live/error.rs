//! [`ReadError`]: why a live read failed, as one clear sentence.
//!
//! An AWS SDK error is a deep stack of transport, signing and service text. The adapters boil
//! it down to the system, the operation, the resource and one [`ReadErrorKind`] that says what
//! to do next; the SDK error stays available as the `source` for debugging.

use std::fmt;

/// The external systems mailform reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum System {
    Ses,
    Route53,
    Route53Domains,
    /// STS, for the account id only (`GetCallerIdentity`).
    Sts,
    /// DynamoDB, for the notice ledger's and the event store's tables.
    DynamoDb,
    /// SQS, for the queue of SES events (`mailform events drain`).
    Sqs,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            System::Ses => "ses",
            System::Route53 => "route53",
            System::Route53Domains => "route53domains",
            System::Sts => "sts",
            System::DynamoDb => "dynamodb",
            System::Sqs => "sqs",
        }
    }

    /// The prefix of this service's IAM actions.
    pub fn iam_prefix(self) -> &'static str {
        match self {
            System::Ses => "ses",
            System::Route53 => "route53",
            System::Route53Domains => "route53domains",
            System::Sts => "sts",
            System::DynamoDb => "dynamodb",
            System::Sqs => "sqs",
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            System::Ses => "SES",
            System::Route53 => "Route 53",
            System::Route53Domains => "Route 53 Domains",
            System::Sts => "STS",
            System::DynamoDb => "DynamoDB",
            System::Sqs => "SQS",
        }
    }
}

/// What went wrong, in the terms a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// No credentials anywhere in the chain (environment, profile, SSO, web identity).
    NoCredentials,
    /// Credentials were found but AWS refused them (unknown key, expired token, bad signature).
    InvalidCredentials { code: String },
    /// The caller lacks the IAM permission for this action.
    AccessDenied { action: String },
    /// Still throttled after every retry.
    Throttled { attempts: u32 },
    /// The call (with its retries) took longer than the configured timeout.
    Timeout,
    /// The endpoint could not be reached.
    Unreachable { detail: String },
    /// Any other error the service answered, after retries where it was retryable.
    Service { code: String, message: String },
    /// The DynamoDB table (the notice ledger) does not exist in the region.
    MissingTable { table: String, region: String },
}

/// A failed read of live state.
#[derive(Debug, thiserror::Error)]
pub struct ReadError {
    pub system: System,
    /// The API operation, e.g. `GetEmailIdentity`.
    pub operation: &'static str,
    /// The resource asked about, when there is one (an identity, a zone id, a domain).
    pub resource: Option<String>,
    pub kind: ReadErrorKind,
    /// The HTTP status of the answer, when one came: a 5xx does not say whether a mutating
    /// request took effect.
    pub http_status: Option<u16>,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ReadError {
    pub fn new(system: System, operation: &'static str, kind: ReadErrorKind) -> Self {
        ReadError {
            system,
            operation,
            resource: None,
            kind,
            http_status: None,
            source: None,
        }
    }

    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The IAM action this operation needs, e.g. `ses:GetEmailIdentity`.
    pub fn iam_action(&self) -> String {
        format!("{}:{}", self.system.iam_prefix(), self.operation)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.system.display_name(), self.operation)?;
        if let Some(resource) = &self.resource {
            write!(f, " ({resource})")?;
        }
        f.write_str(" failed: ")?;
        match &self.kind {
            ReadErrorKind::NoCredentials => f.write_str(
                "no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
                 AWS_PROFILE (with `aws sso login` for SSO), or AWS_ROLE_ARN with \
                 AWS_WEB_IDENTITY_TOKEN_FILE (GitHub OIDC)",
            ),
            ReadErrorKind::InvalidCredentials { code } => write!(
                f,
                "AWS refused the credentials ({code}); check the access key or renew the session"
            ),
            ReadErrorKind::AccessDenied { action } => write!(
                f,
                "access denied; grant the IAM action `{action}` to the role mailform runs as"
            ),
            ReadErrorKind::Throttled { attempts } => write!(
                f,
                "still throttled after {attempts} attempts; lower --concurrency or try again later"
            ),
            ReadErrorKind::Timeout => {
                f.write_str("timed out; check the network or the endpoint, or raise the timeout")
            }
            ReadErrorKind::Unreachable { detail } => {
                write!(
                    f,
                    "cannot reach the endpoint ({detail}); check the network or the endpoint URL"
                )
            }
            ReadErrorKind::MissingTable { table, region } => write!(
                f,
                "the table `{table}` does not exist in {region}; create it once (on-demand \
                 billing) with `{}`, or name another in the platform file's \
                 `notices {{ ledger-table \"…\" }}`",
                create_table_command(table, region)
            ),
            ReadErrorKind::Service { code, message } if message.is_empty() => {
                write!(f, "the service answered {code}")
            }
            ReadErrorKind::Service { code, message } => {
                write!(f, "the service answered {code}: {message}")
            }
        }
    }
}

/// The AWS CLI command that creates the notice ledger's table: partition key `library`, sort
/// key `notice`, both strings, billed per request.
pub fn create_table_command(table: &str, region: &str) -> String {
    format!(
        "aws dynamodb create-table --region {region} --table-name {table} \
         --attribute-definitions AttributeName=library,AttributeType=S AttributeName=notice,AttributeType=S \
         --key-schema AttributeName=library,KeyType=HASH AttributeName=notice,KeyType=RANGE \
         --billing-mode PAY_PER_REQUEST"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_iam_action() {
        let e = ReadError::new(
            System::Ses,
            "GetAccount",
            ReadErrorKind::AccessDenied {
                action: "ses:GetAccount".into(),
            },
        );
        assert_eq!(e.iam_action(), "ses:GetAccount");
        assert_eq!(
            e.to_string(),
            "SES GetAccount failed: access denied; grant the IAM action `ses:GetAccount` to the role mailform runs as"
        );
    }
}
