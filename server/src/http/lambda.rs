//! Running the same router on AWS Lambda (API Gateway HTTP API, payload 2.0).

use axum::Router;

/// True when the process was started by the Lambda runtime.
pub fn is_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}
