//! Reading live state: the AWS adapters against the sandbox, ownership, `mailform refresh`
//! through the binary, and the snapshot file.

#[cfg(feature = "sandbox")]
mod adapters;
#[cfg(feature = "sandbox")]
mod gather;
#[cfg(feature = "sandbox")]
mod refresh;
mod snapshot;

#[cfg(feature = "sandbox")]
pub use with_sandbox::*;

#[cfg(feature = "sandbox")]
mod with_sandbox {
    use std::time::Duration;

    use aws_credential_types::Credentials;
    use mailform::live::account::AwsAccount;
    use mailform::live::aws::{AwsOptions, Endpoints, Rates, Retries, load_sdk_config};
    use mailform::live::registrar::AwsRegistrar;
    use mailform::live::route53::AwsRoute53;
    use mailform::live::ses::AwsSes;
    use mailform::sandbox::SandboxHandle;

    /// Options pointing at `sandbox`: no rate limit, quick retries, fixed credentials.
    pub fn options(sandbox: &SandboxHandle) -> AwsOptions {
        let e = sandbox.endpoints();
        let mut o = AwsOptions::new("us-east-1");
        o.endpoints = Endpoints {
            ses: Some(e.ses.clone()),
            route53: Some(e.route53.clone()),
            route53domains: Some(e.route53domains.clone()),
            sts: Some(e.sts.clone()),
            dynamodb: Some(e.dynamodb.clone()),
            sqs: Some(e.sqs.clone()),
        };
        o.rates = Rates {
            ses: 0.0,
            route53: 0.0,
            route53domains: 0.0,
        };
        o.retries = Retries {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
        };
        o.timeouts.operation = Duration::from_secs(20);
        o.credentials = Some(Credentials::new(
            "AKIDSANDBOXTEST",
            "sandbox-secret",
            None,
            None,
            "live-test",
        ));
        o
    }

    pub struct Aws {
        pub ses: AwsSes,
        pub route53: AwsRoute53,
        pub registrar: AwsRegistrar,
        pub account: AwsAccount,
    }

    pub async fn adapters(opts: &AwsOptions) -> Aws {
        let sdk = load_sdk_config(opts).await;
        Aws {
            ses: AwsSes::new(&sdk, opts),
            route53: AwsRoute53::new(&sdk, opts),
            registrar: AwsRegistrar::new(&sdk, opts),
            account: AwsAccount::new(&sdk, opts),
        }
    }
}
