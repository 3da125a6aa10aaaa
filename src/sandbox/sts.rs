//! STS (the Query protocol: `POST /` with a form body `Action=<Op>&Version=2011-06-15`,
//! answered in XML): only `GetCallerIdentity`, which apply reads the account id from to build
//! an SES identity's ARN. The caller is always the sandbox account's one user.

use super::World;
use super::http::{ApiError, Reply, Req, percent_decode, xml_escape};

const VERSION: &str = "2011-06-15";
pub(crate) const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The form fields of a Query request body.
pub(crate) fn form(req: &Req) -> Vec<(String, String)> {
    String::from_utf8_lossy(&req.body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |t: &str| percent_decode(&t.replace('+', " "));
            (decode(k), decode(v))
        })
        .collect()
}

pub(crate) fn route(req: &Req) -> Option<&'static str> {
    if req.method != "POST" || !req.segments.is_empty() {
        return None;
    }
    let fields = form(req);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match (field("Action"), field("Version")) {
        (Some("GetCallerIdentity"), Some(VERSION)) => Some("GetCallerIdentity"),
        _ => None,
    }
}

pub(crate) fn handle(world: &mut World, operation: &str, _: &Req) -> Result<Reply, ApiError> {
    match operation {
        "GetCallerIdentity" => {
            let account = xml_escape(&world.config.account_id);
            Ok(Reply::xml(
                200,
                format!(
                    "<GetCallerIdentityResponse xmlns=\"{XMLNS}\"><GetCallerIdentityResult>\
                     <Arn>arn:aws:iam::{account}:user/sandbox</Arn>\
                     <UserId>AIDASANDBOXUSER00000</UserId>\
                     <Account>{account}</Account>\
                     </GetCallerIdentityResult><ResponseMetadata>\
                     <RequestId>{}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                    super::http::REQUEST_ID
                ),
            ))
        }
        other => Err(ApiError::new(
            400,
            "InvalidAction",
            format!("the sandbox does not serve STS {other}"),
        )),
    }
}
