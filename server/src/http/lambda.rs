//! Running the same router on AWS Lambda. One function receives two kinds
//! of events:
//! - API Gateway HTTP API (payload 2.0), REST API and ALB requests, answered
//!   by the router. When the request queued mail, the mail is delivered
//!   before the invocation returns (Lambda freezes the process afterwards);
//! - an EventBridge schedule (`"source": "aws.events"`), which delivers due
//!   mail: retries, and anything the request-time attempt did not finish.

use crate::mail::{MailSignal, Postman};
use axum::Router;
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::Adapter;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::{Service, ServiceExt};

/// True when the process was started by the Lambda runtime.
pub fn is_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// At most this many messages, and this long, after a request that queued
/// mail; the schedule sends whatever is left.
const AFTER_REQUEST_LIMIT: u32 = 20;
const AFTER_REQUEST_BUDGET: Duration = Duration::from_secs(10);
/// A scheduled run sends at most this many messages.
const SCHEDULED_LIMIT: u32 = 500;

/// What one invocation answers.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Output {
    /// The API Gateway / ALB response document.
    Http(Value),
    Mail {
        sent: u32,
        failed: u32,
    },
}

pub struct Handler {
    /// The scheduled event also queues the day's seat alerts with these.
    pub services: crate::domain::Services,
    pub router: Router,
    pub postman: Arc<Postman>,
    pub signal: Arc<MailSignal>,
}

/// Whether an event comes from an EventBridge rule (a schedule).
pub fn is_scheduled(event: &Value) -> bool {
    event.get("source").and_then(Value::as_str) == Some("aws.events")
        || event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

impl Handler {
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Output, lambda_http::Error> {
        let LambdaEvent { payload, context } = event;
        if is_scheduled(&payload) {
            // Yesterday's refused sign-ins first, so their mail goes out now.
            match self.services.queue_seat_alerts().await {
                Ok(0) => {}
                Ok(queued) => tracing::info!(queued, "seat alerts queued"),
                Err(e) => tracing::error!(error = %e, "seat alerts could not be queued"),
            }
            let round = self.postman.deliver_due(SCHEDULED_LIMIT).await?;
            tracing::info!(
                sent = round.sent,
                failed = round.failed,
                "scheduled mail delivery"
            );
            return Ok(Output::Mail {
                sent: round.sent,
                failed: round.failed,
            });
        }
        let request: LambdaRequest = serde_json::from_value(payload)?;
        let mut adapter = Adapter::from(self.router.clone());
        let response = adapter
            .ready()
            .await?
            .call(LambdaEvent::new(request, context))
            .await?;
        if self.signal.take() {
            self.deliver_after_request().await;
        }
        Ok(Output::Http(serde_json::to_value(response)?))
    }

    /// Sends what the request queued; a failure or a slow server only
    /// delays the mail to the next scheduled run.
    async fn deliver_after_request(&self) {
        match tokio::time::timeout(
            AFTER_REQUEST_BUDGET,
            self.postman.deliver_due(AFTER_REQUEST_LIMIT),
        )
        .await
        {
            Ok(Ok(round)) => tracing::info!(
                sent = round.sent,
                failed = round.failed,
                "mail sent after the request"
            ),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "mail after the request: database unreachable; the schedule retries")
            }
            Err(_) => {
                tracing::warn!("mail after the request took too long; the schedule sends the rest")
            }
        }
    }
}

pub async fn run(handler: Handler) -> Result<(), lambda_http::Error> {
    let handler = Arc::new(handler);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<Value>| {
            let handler = handler.clone();
            async move { handler.handle(event).await }
        },
    ))
    .await
}
