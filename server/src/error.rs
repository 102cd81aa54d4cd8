//! The one error type handlers return: an HTTP status with an `ApiError` JSON body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use relive_api::ApiError;

use crate::store::StoreError;

#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub body: ApiError,
}

impl Failure {
    pub fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        Failure { status, body: ApiError { error: error.into(), message: message.into(), field: None } }
    }

    pub fn field(mut self, field: &str) -> Self {
        self.body.field = Some(field.into());
        self
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(error: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, message)
    }

    pub fn missing(field: &str) -> Self {
        Self::bad_request("missing_field", format!("required field `{field}` is missing")).field(field)
    }

    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        Self::bad_request("invalid_field", format!("field `{field}` {why}")).field(field)
    }

    pub fn unauthorized(error: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error, message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.body.error, self.body.message)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", "the database could not complete the request")
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
