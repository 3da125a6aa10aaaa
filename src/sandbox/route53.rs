//! placeholder
use super::World;
use super::http::{ApiError, Reply, Req};
pub(crate) fn route(_req: &Req) -> Option<&'static str> {
    None
}
pub(crate) fn handle(_world: &mut World, _operation: &str, _req: &Req) -> Result<Reply, ApiError> {
    Err(ApiError::bad_request("x"))
}
